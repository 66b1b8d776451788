import { createRateLimitHook } from '../../plugins/rate-limits.js';
import type { RouteDeps } from '../deps.js';

/**
 * A route hook charging one credential request to the signed-in user (get_credentials, role_login).
 * It runs after the auth hook, so every request it sees has an identity.
 */
export function createCredentialRateLimitHook(deps: Pick<RouteDeps, 'credentialRateLimiter' | 'config'>) {
  return createRateLimitHook({
    limiter: deps.credentialRateLimiter,
    what: 'credential requests',
    perMinute: deps.config.gateway.rateLimit.credentialsPerMinute,
    subject: (request) => request.identity?.user,
  });
}
