import { randomBytes } from 'node:crypto';
import type { RolecallConfig } from '@rolecall/shared/config';
import { AppError } from '@rolecall/shared/errors';

export const MIN_JWT_SECRET_LENGTH = 32;

/**
 * The HS256 key every gateway copy signs and verifies with. Production must configure one of at least
 * 32 characters: a random per-process key (ConsoleMe's fallback) would make each copy reject the
 * others' cookies. Demo and test may omit it; they then get a random key and a single gateway.
 */
export function resolveJwtSecret(config: RolecallConfig): { secret: string; generated: boolean } {
  const configured = config.auth.jwt.secret;
  const relaxed = config.environment === 'demo' || config.environment === 'test';
  if (configured !== undefined && (relaxed || configured.length >= MIN_JWT_SECRET_LENGTH)) {
    return { secret: configured, generated: false };
  }
  if (relaxed) return { secret: randomBytes(32).toString('base64url'), generated: true };
  throw new AppError(
    'INVALID_CONFIG',
    `auth.jwt.secret must be set to at least ${MIN_JWT_SECRET_LENGTH} characters in ${config.environment} ` +
      '(the same value on every gateway copy; e.g. `openssl rand -base64 48`, or ROLECALL__AUTH__JWT__SECRET)',
    { context: { problems: [{ path: '/auth/jwt/secret', message: 'missing or too short' }] } },
  );
}
