import { AppError } from '@rolecall/shared/errors';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isAdmin, type Identity, type IdentitySource } from '../domain/identity.js';

/** Who may call a route: anyone, any signed-in user (the default), or admins only. */
export type RouteAccess = 'public' | 'user' | 'admin';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
  interface FastifyRequest {
    /** Set by the auth hook when an identity source vouched for the caller. */
    identity: Identity | undefined;
    /** True when the identity is in one of the configured admin groups. */
    isAdmin: boolean;
  }
}

export interface AuthOptions {
  /** Asked in order; the first identity wins. */
  sources: readonly IdentitySource[];
  adminGroups: readonly string[];
  lowercaseGroups: boolean;
}

/**
 * Establishes the caller's identity before anything else runs (before the body is even parsed), then
 * enforces the route's `config.access`. Unknown routes are left to the 404 handler.
 */
export function registerAuth(app: FastifyInstance, options: AuthOptions): void {
  app.decorateRequest('identity', undefined);
  app.decorateRequest('isAdmin', false);
  app.addHook('onRequest', async (request: FastifyRequest) => {
    request.identity = await identify(request, options.sources);
    request.isAdmin = request.identity
      ? isAdmin(request.identity, options.adminGroups, options.lowercaseGroups)
      : false;
    if (request.is404) return;
    const access = request.routeOptions.config.access ?? 'user';
    if (access === 'public') return;
    if (!request.identity) {
      throw new AppError(
        'UNAUTHENTICATED',
        'sign-in required: no identity was presented by a trusted proxy for this request',
      );
    }
    if (access === 'admin' && !request.isAdmin) {
      throw new AppError('FORBIDDEN', 'this operation is for administrators only', {
        context: { user: request.identity.user },
      });
    }
  });
}

async function identify(
  request: FastifyRequest,
  sources: readonly IdentitySource[],
): Promise<Identity | undefined> {
  const view = { remoteAddress: request.socket.remoteAddress, headers: request.headers };
  for (const source of sources) {
    const identity = await source.identify(view);
    if (identity) return identity;
  }
  return undefined;
}
