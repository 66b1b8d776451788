import { createHash } from 'node:crypto';
import { EncryptJWT, errors, jwtDecrypt } from 'jose';
import type { JwtKey, JwtKeySet } from './jwt.js';

/**
 * Encrypted, authenticated cookies for the OIDC flow: the sign-in transaction (state, nonce, PKCE
 * verifier) and the refresh token. `dir` + A256GCM under a key derived from a JWT key and the purpose, so
 * a sealed value can neither be read nor altered by the browser, nor pass for another purpose or for a
 * session JWT. Sealed with the newest key and opened with any configured one, so rotation holds here too.
 */
export type SealPurpose = 'oidc-transaction' | 'oidc-refresh';

const keyFor = (key: JwtKey, purpose: SealPurpose) =>
  createHash('sha256').update(`rolecall-seal:${purpose}:${key.secret}`).digest();

export function seal(
  payload: Record<string, unknown>,
  keys: JwtKeySet,
  purpose: SealPurpose,
  expiresAtSeconds: number,
): Promise<string> {
  return new EncryptJWT(payload)
    .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: keys.signing.id, cty: purpose })
    .setExpirationTime(expiresAtSeconds)
    .encrypt(keyFor(keys.signing, purpose));
}

/** The payload, or undefined when the value is not one this gateway sealed for `purpose`, or has expired. */
export async function unseal(
  token: string,
  keys: JwtKeySet,
  purpose: SealPurpose,
  nowSeconds: number,
): Promise<Record<string, unknown> | undefined> {
  try {
    const { payload } = await jwtDecrypt(
      token,
      (header) => {
        const key = keys.verifying.find((candidate) => candidate.id === header.kid);
        if (!key || header.cty !== purpose) throw new errors.JWKSNoMatchingKey();
        return keyFor(key, purpose);
      },
      {
        keyManagementAlgorithms: ['dir'],
        contentEncryptionAlgorithms: ['A256GCM'],
        currentDate: new Date(nowSeconds * 1000),
      },
    );
    return payload;
  } catch (error) {
    if (error instanceof errors.JOSEError) return undefined;
    throw error;
  }
}
