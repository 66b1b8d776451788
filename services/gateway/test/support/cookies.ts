import { signJwt } from '../../src/domain/jwt.js';

export const TEST_JWT_SECRET = 'test-secret-0123456789abcdef-0123456789';

/** A Cookie header carrying a JWT as the challenge login issues it. */
export function jwtCookie(
  user: string,
  groups: string[],
  options: { secret?: string; expiresInSeconds?: number; name?: string } = {},
): string {
  const now = Math.floor(Date.now() / 1000);
  const token = signJwt(
    { email: user, groups, iat: now, exp: now + (options.expiresInSeconds ?? 3600) },
    options.secret ?? TEST_JWT_SECRET,
  );
  return `${options.name ?? 'consoleme_auth'}=${token}`;
}
