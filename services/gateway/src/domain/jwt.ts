import { createHash } from 'node:crypto';
import { errors, jwtVerify, SignJWT, type JWTHeaderParameters } from 'jose';

/** What Rolecall puts in the JWTs it issues (ConsoleMe's claim names, so its cookies read the same). */
export interface JwtClaims {
  email: string;
  groups: string[];
  /** Unix seconds. */
  iat: number;
  /** Unix seconds. */
  exp: number;
}

export type JwtVerification = { ok: true; claims: JwtClaims } | { ok: false; reason: string };

/**
 * How far `nbf` may lie in the future. Every gateway copy signs and verifies with the same key, and the
 * copy Weep polls is often not the one that then checks its cookie: a verifier whose clock is a few seconds
 * behind the signer's would otherwise refuse a token it was just handed. Expiry gets no tolerance: the
 * poller tells Weep the exact `exp` as the cookie's expiration, and a token must never outlive what it
 * says (early by a skew costs a new challenge login; late would extend a session nobody approved).
 */
export const CLOCK_TOLERANCE_SECONDS = 30;

const ALGORITHM = 'HS256';

/**
 * Names the key in the `kid` header: a digest of the secret, so every copy configured with the same
 * secret agrees on it without another setting, and a token from another key is told apart before its
 * signature is even checked. The digest reveals nothing the HMAC over a known payload does not already.
 */
export function jwtKeyId(secret: string): string {
  return createHash('sha256').update(`rolecall-jwt-key:${secret}`).digest('base64url').slice(0, 16);
}

/** Signs claims as a compact HS256 JWT with `kid`, `iat`, `nbf` (= `iat`) and `exp`. */
export function signJwt(claims: JwtClaims, secret: string): Promise<string> {
  return new SignJWT({ email: claims.email, groups: claims.groups })
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT', kid: jwtKeyId(secret) })
    .setIssuedAt(claims.iat)
    .setNotBefore(claims.iat)
    .setExpirationTime(claims.exp)
    .sign(new TextEncoder().encode(secret));
}

/**
 * Verifies a compact JWT: HS256 only (a token announcing `none` or any other algorithm is refused, never
 * trusted), a `kid`, when there is one, naming this key, the signature, then `nbf` (with
 * {@link CLOCK_TOLERANCE_SECONDS}), expiry (exact) and the claim types. A token without `kid` or `nbf` —
 * as gateways issued them before — is accepted on the same terms otherwise.
 */
export async function verifyJwt(token: string, secret: string, nowSeconds: number): Promise<JwtVerification> {
  const key = new TextEncoder().encode(secret);
  const keyId = jwtKeyId(secret);
  const keyFor = (header: JWTHeaderParameters) => {
    if (header.kid !== undefined && header.kid !== keyId) {
      throw new errors.JWKSNoMatchingKey();
    }
    return key;
  };
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, keyFor, {
      algorithms: [ALGORITHM],
      typ: 'JWT',
      requiredClaims: ['iat', 'exp'],
      currentDate: new Date(nowSeconds * 1000),
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
    }));
  } catch (error) {
    if (error instanceof errors.JOSEError) return { ok: false, reason: reasonOf(error) };
    throw error;
  }
  const { email, groups, iat, exp } = payload;
  if (
    typeof email !== 'string' ||
    email.length === 0 ||
    !Array.isArray(groups) ||
    !groups.every((g): g is string => typeof g === 'string') ||
    typeof iat !== 'number' ||
    typeof exp !== 'number'
  ) {
    return { ok: false, reason: 'JWT claims are malformed' };
  }
  // jose allowed the tolerance on `exp` too; expiry is exact (see CLOCK_TOLERANCE_SECONDS).
  if (exp <= nowSeconds) return { ok: false, reason: 'JWT has expired' };
  return { ok: true, claims: { email, groups, iat, exp } };
}

function reasonOf(error: errors.JOSEError): string {
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return 'unsupported JWT algorithm (only HS256 is accepted)';
  }
  if (error instanceof errors.JWKSNoMatchingKey) return 'JWT was signed with another key (kid)';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'JWT signature does not verify';
  if (error instanceof errors.JWTExpired) return 'JWT has expired';
  const early = error instanceof errors.JWTClaimValidationFailed && error.claim === 'nbf';
  if (early) return 'JWT is not valid yet';
  if (error instanceof errors.JWSInvalid) return 'not a compact JWT';
  return 'JWT claims are malformed';
}
