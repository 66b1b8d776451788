import { createHmac, timingSafeEqual } from 'node:crypto';
import { AppError } from '@rolecall/shared/errors';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** The cookie the UI reads the token from (not HttpOnly: the page's own script must read it). */
export const CSRF_COOKIE = 'rolecall_csrf';
/** The header a state-changing call repeats the token in. */
export const CSRF_HEADER = 'x-csrf-token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface CsrfOptions {
  /** The session (JWT) signing secret; the CSRF key is derived from it, so every gateway copy agrees. */
  secret: string;
  /** The session cookie a browser attaches by itself: what makes a forged cross-site call dangerous. */
  sessionCookieName: string;
  /** Identity sources a browser cannot attach by itself (headers a trusted proxy sets): exempt. */
  headerSources: readonly string[];
  /** Whether the browser came over https (the token cookie is then Secure, as the session cookie is). */
  isSecure: (request: FastifyRequest) => boolean;
}

/**
 * Signed double-submit CSRF protection. The token is an HMAC of the session cookie's value under a key
 * derived from the session secret: it is bound to that one session (a token from another session or an
 * attacker's own does not fit) and needs no server state. Every answer to a request that carries the
 * session cookie sets the token in {@link CSRF_COOKIE}, whichever sign-in set the session; the UI
 * copies it into {@link CSRF_HEADER}. Another site can make the browser send the session cookie, but it
 * cannot read this origin's cookies, so it cannot send the header.
 *
 * Checked on every state-changing method that carries the session cookie, on every route but these:
 * - CLI routes (`access: 'cli'`: get_credentials, get_roles…). Weep sends the same JWT cookie but has no
 *   way to send a token (its client is fixed; see weep.md), and there the cookie is Weep's own jar, not a
 *   browser's. A browser's copy of the cookie cannot be used against them from another site either:
 *   the cookie is SameSite=Lax (no cross-site POST carries it), get_credentials takes JSON only (a form
 *   cannot send it: text/plain is refused 415, and a JSON fetch from another origin needs a CORS
 *   preflight this gateway never grants), and an answer is never readable cross-origin.
 * - Callers identified by a trusted proxy's headers (`headerSources`): a browser cannot set those; the
 *   proxy's own cookie is the proxy's to protect (SameSite), and the JSON-only bodies above still hold.
 * Register after the auth hook: the exemptions read the identity it found.
 */
export function registerCsrfProtection(app: FastifyInstance, options: CsrfOptions): void {
  const key = createHmac('sha256', options.secret).update('rolecall-csrf-key').digest();
  const tokenFor = (session: string) => createHmac('sha256', key).update(session).digest('base64url');
  const headerSources = new Set(options.headerSources);

  app.addHook('onRequest', async (request, reply) => {
    const session = request.cookies[options.sessionCookieName];
    if (session === undefined || session === '' || request.is404) return;
    if (request.routeOptions.config.access === 'cli') return;
    const expected = tokenFor(session);
    if (request.cookies[CSRF_COOKIE] !== expected) {
      void reply.setCookie(CSRF_COOKIE, expected, {
        path: '/',
        httpOnly: false,
        sameSite: 'strict',
        secure: options.isSecure(request),
      });
    }
    if (SAFE_METHODS.has(request.method)) return;
    if (request.identity && headerSources.has(request.identity.source)) return;
    if (!sameToken(request.headers[CSRF_HEADER], expected)) {
      throw new AppError(
        'CSRF_TOKEN_INVALID',
        `this call carries the session cookie but not its CSRF token: send the ${CSRF_COOKIE} cookie's value ` +
          `in the ${CSRF_HEADER} header (the Rolecall UI does; reload the page if it just signed you in)`,
      );
    }
  });
}

function sameToken(sent: string | string[] | undefined, expected: string): boolean {
  if (typeof sent !== 'string') return false;
  const a = Buffer.from(sent);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
