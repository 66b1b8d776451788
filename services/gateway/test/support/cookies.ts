import { createHmac } from 'node:crypto';

export const TEST_JWT_SECRET = 'test-secret-0123456789abcdef-0123456789';

/**
 * A Cookie header carrying a JWT as gateways issued it before they signed with jose: HS256 with `typ`,
 * no `kid` and no `nbf`, ConsoleMe's claims. Minted here with node:crypto, independently of the gateway's
 * signer and synchronously, so cookies can be constants of a test file; that they are accepted is what
 * keeps such cookies working across the upgrade. Today's form (with `kid` and `nbf`) comes from the
 * challenge poller itself in challenge.int.test.ts and test/weep.int.test.ts.
 */
export function jwtCookie(
  user: string,
  groups: string[],
  options: { secret?: string; expiresInSeconds?: number; name?: string } = {},
): string {
  const now = Math.floor(Date.now() / 1000);
  const segment = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${segment({ alg: 'HS256', typ: 'JWT' })}.${segment({
    email: user,
    groups,
    iat: now,
    exp: now + (options.expiresInSeconds ?? 3600),
  })}`;
  const signature = createHmac('sha256', options.secret ?? TEST_JWT_SECRET)
    .update(input)
    .digest('base64url');
  return `${options.name ?? 'consoleme_auth'}=${input}.${signature}`;
}
