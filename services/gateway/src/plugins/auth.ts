import { AppError } from '@rolecall/shared/errors';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  isAdmin,
  routeGroupOf,
  type Identity,
  type IdentityRequest,
  type IdentitySource,
} from '../domain/identity.js';
import type { CookieCheck } from '../domain/jwt-identity.js';

/**
 * Who may call a route: anyone, any signed-in user (the default), admins only, or a CLI client (Weep).
 * CLI routes take the JWT cookie and answer ConsoleMe's `invalid_jwt` when it is bad or missing.
 */
export type RouteAccess = 'public' | 'user' | 'admin' | 'cli';

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
  /** Web routes: asked in order; the first identity wins. */
  sources: readonly IdentitySource[];
  /** CLI routes: asked in order after the cookie check (the JWT cookie, plus trusted headers if allowed). */
  cliSources: readonly IdentitySource[];
  /** The JWT cookie verdict: on CLI routes a cookie that is present but bad is refused outright. */
  checkCookie: (request: IdentityRequest) => Promise<CookieCheck>;
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
    const access = request.is404 ? 'public' : (request.routeOptions.config.access ?? 'user');
    const view: IdentityRequest = {
      remoteAddress: request.socket.remoteAddress,
      headers: request.headers,
      cookies: request.cookies,
      ...(request.is404 ? {} : { routeGroup: routeGroupOf(access, request.routeOptions.url ?? '') }),
    };
    if (access === 'cli') {
      const cookie = await options.checkCookie(view);
      if (cookie.kind === 'invalid') {
        throw new AppError(
          'INVALID_JWT',
          `Authentication is invalid or has expired (${cookie.reason}); sign in again (weep starts a new challenge login)`,
        );
      }
    }
    request.identity = await identify(view, access === 'cli' ? options.cliSources : options.sources);
    request.isAdmin = request.identity
      ? isAdmin(request.identity, options.adminGroups, options.lowercaseGroups)
      : false;
    if (access === 'public') return;
    if (!request.identity) {
      if (access === 'cli') {
        // ConsoleMe's CLI handlers answer 403 invalid_jwt here; Weep reacts by starting a new login.
        throw new AppError('INVALID_JWT', 'No valid authentication cookie was sent; sign in with weep');
      }
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
  view: IdentityRequest,
  sources: readonly IdentitySource[],
): Promise<Identity | undefined> {
  for (const source of sources) {
    const identity = await source.identify(view);
    if (identity) return identity;
  }
  return undefined;
}
