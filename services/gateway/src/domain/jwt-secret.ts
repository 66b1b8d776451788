import { randomBytes } from 'node:crypto';
import type { RolecallConfig } from '@rolecall/shared/config';
import { AppError } from '@rolecall/shared/errors';

/**
 * The HS256 key every gateway copy signs and verifies with: `auth.jwt.secret`, which config validation for
 * the gateway (`parseConfig(…, { service: 'gateway' })`) requires in production, at least
 * MIN_JWT_SECRET_LENGTH characters long. Demo and test may omit it; they then get a random key and a
 * single gateway.
 */
export function resolveJwtSecret(config: RolecallConfig): { secret: string; generated: boolean } {
  const configured = config.auth.jwt.secret;
  if (configured !== undefined) return { secret: configured, generated: false };
  if (config.environment !== 'production') {
    return { secret: randomBytes(32).toString('base64url'), generated: true };
  }
  // Only a config that skipped the gateway's validation gets here. A random key is never the answer in
  // production: each copy would refuse the others' cookies (ConsoleMe's fallback).
  throw new AppError(
    'INTERNAL',
    'the gateway was given a production config without auth.jwt.secret: validate it with parseConfig(…, { service: "gateway" })',
  );
}
