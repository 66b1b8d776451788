import { randomBytes } from 'node:crypto';
import type { RolecallConfig } from '@rolecall/shared/config';
import { AppError } from '@rolecall/shared/errors';
import { createJwtKeySet, type JwtKeySet } from './jwt.js';

/**
 * The HS256 keys every gateway copy signs and verifies with: `auth.jwt.keys` (newest first, the first
 * signs) and `auth.jwt.secret`, at least one of which config validation for the gateway
 * (`parseConfig(…, { service: 'gateway' })`) requires in production, each at least MIN_JWT_SECRET_LENGTH
 * characters long. Demo and test may omit both; they then get a random key and a single gateway.
 */
export function resolveJwtKeys(config: RolecallConfig): { keys: JwtKeySet; generated: boolean } {
  const { keys, secret } = config.auth.jwt;
  if (keys !== undefined || secret !== undefined) {
    return {
      keys: createJwtKeySet({ ...(keys ? { keys } : {}), ...(secret !== undefined ? { secret } : {}) }),
      generated: false,
    };
  }
  if (config.environment !== 'production') {
    return { keys: createJwtKeySet({ secret: randomBytes(32).toString('base64url') }), generated: true };
  }
  // Only a config that skipped the gateway's validation gets here. A random key is never the answer in
  // production: each copy would refuse the others' cookies (ConsoleMe's fallback).
  throw new AppError(
    'INTERNAL',
    'the gateway was given a production config without auth.jwt.secret or auth.jwt.keys: validate it with parseConfig(…, { service: "gateway" })',
  );
}
