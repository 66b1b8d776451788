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

/** One HS256 key: the id its tokens carry in `kid`, and the secret. */
export interface JwtKey {
  id: string;
  secret: string;
}

/**
 * The keys a gateway signs and verifies with. The newest signs; every key verifies, so rotating in a new
 * key signs nobody out, and removing an old one (once its tokens have expired) refuses what it signed.
 */
export interface JwtKeySet {
  signing: JwtKey;
  verifying: readonly JwtKey[];
  /**
   * The key that verifies a token without `kid` (as gateways issued them before `kid`): the one from
   * `auth.jwt.secret`, when configured. Tokens with `kid` are matched by id only.
   */
  legacy?: JwtKey;
}

/** The key named by a bare secret (`auth.jwt.secret`): its id is the secret's digest. */
export function jwtKeyFromSecret(secret: string): JwtKey {
  return { id: jwtKeyId(secret), secret };
}

/**
 * The key set of `auth.jwt`: `keys` newest first (the first signs), then `secret`, which also verifies
 * tokens without `kid`. At least one of the two must be given.
 */
export function createJwtKeySet(options: { keys?: readonly JwtKey[]; secret?: string }): JwtKeySet {
  const legacy = options.secret === undefined ? undefined : jwtKeyFromSecret(options.secret);
  const verifying = [...(options.keys ?? []), ...(legacy ? [legacy] : [])];
  const signing = verifying[0];
  if (!signing) throw new Error('a JWT key set needs at least one key');
  return { signing, verifying, ...(legacy ? { legacy } : {}) };
}

const encoder = new TextEncoder();

/** Signs claims as a compact HS256 JWT with the newest key's `kid`, `iat`, `nbf` (= `iat`) and `exp`. */
export function signJwt(claims: JwtClaims, keys: JwtKeySet): Promise<string> {
  return new SignJWT({ email: claims.email, groups: claims.groups })
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT', kid: keys.signing.id })
    .setIssuedAt(claims.iat)
    .setNotBefore(claims.iat)
    .setExpirationTime(claims.exp)
    .sign(encoder.encode(keys.signing.secret));
}

/**
 * Verifies a compact JWT: HS256 only (a token announcing `none` or any other algorithm is refused, never
 * trusted), the key its `kid` names among the configured ones (an unknown or removed kid is refused before
 * the signature is looked at; no `kid`: the legacy key), the signature, then `nbf` (with
 * {@link CLOCK_TOLERANCE_SECONDS}), expiry (exact) and the claim types. A token without `kid` or `nbf` —
 * as gateways issued them before — is accepted on the same terms otherwise.
 */
export async function verifyJwt(
  token: string,
  keys: JwtKeySet,
  nowSeconds: number,
): Promise<JwtVerification> {
  const keyFor = (header: JWTHeaderParameters) => {
    const key =
      header.kid === undefined
        ? keys.legacy
        : keys.verifying.find((candidate) => candidate.id === header.kid);
    if (!key) throw new errors.JWKSNoMatchingKey();
    return encoder.encode(key.secret);
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
