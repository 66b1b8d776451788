import { createHmac, timingSafeEqual } from 'node:crypto';

/** What a stand-in sign-in token says. It carries no secret: only who the session is and until when. */
export interface SigninTokenClaims {
  arn: string;
  account: string;
  accessKeyId: string;
  /** Unix seconds. */
  issuedAt: number;
  expiresAt: number;
}

export function signSigninToken(claims: SigninTokenClaims, key: string): string {
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${payload}.${createHmac('sha256', key).update(payload).digest('base64url')}`;
}

export function verifySigninToken(token: string, key: string): SigninTokenClaims | undefined {
  const [payload = '', signature = '', ...rest] = token.split('.');
  if (rest.length > 0) return undefined;
  const expected = Buffer.from(createHmac('sha256', key).update(payload).digest('base64url'));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as SigninTokenClaims;
    return typeof claims.arn === 'string' && typeof claims.expiresAt === 'number' ? claims : undefined;
  } catch {
    return undefined;
  }
}

/** `arn:aws:sts::<account>:assumed-role/<role>/<session>` → role and session names. */
export function describeAssumedRole(arn: string): { roleName: string; sessionName: string } {
  const match = /:assumed-role\/([^/]+)\/(.+)$/.exec(arn);
  return match
    ? { roleName: match[1] ?? arn, sessionName: match[2] ?? '' }
    : { roleName: arn, sessionName: '' };
}
