import { AppError } from '@rolecall/shared/errors';
import type { FastifyRequest } from 'fastify';
import type { RouteDeps } from '../deps.js';

/**
 * A route hook charging one credential request to the signed-in user (get_credentials, role_login).
 * It runs after the auth hook, so every request it sees has an identity.
 */
export function createCredentialRateLimitHook(deps: Pick<RouteDeps, 'credentialRateLimiter' | 'config'>) {
  return async (request: FastifyRequest): Promise<void> => {
    const user = request.identity?.user;
    if (!user) return;
    const verdict = await deps.credentialRateLimiter.hit(user);
    if (verdict.allowed) return;
    throw new AppError(
      'RATE_LIMITED',
      `too many credential requests: at most ${deps.config.gateway.rateLimit.credentialsPerMinute} per minute; ` +
        `retry in ${verdict.retryAfterSeconds} s`,
      { context: { retryAfterSeconds: verdict.retryAfterSeconds } },
    );
  };
}
