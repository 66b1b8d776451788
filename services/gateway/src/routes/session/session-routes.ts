import { AppError } from '@rolecall/shared/errors';
import { LiteralUnion } from '@rolecall/shared/contracts';
import { Type } from 'typebox';
import { signJwt } from '../../domain/jwt.js';
import { byPeerAddress, createRateLimitHook } from '../../plugins/rate-limits.js';
import type { GatewayApp, RouteDeps } from '../deps.js';
import { ErrorBody, commonErrors } from '../schemas.js';

const DemoUser = Type.Object({
  email: Type.String(),
  groups: Type.Array(Type.String()),
  description: Type.Optional(Type.String()),
});

const SessionReply = Type.Object({
  signedIn: Type.Boolean(),
  user: Type.Optional(Type.String()),
  groups: Type.Optional(Type.Array(Type.String())),
  isAdmin: Type.Boolean(),
  signIn: LiteralUnion(['demo', 'proxy', 'oidc'], {
    description:
      'demo: pick a demo user here; proxy: the trusted proxy in front signs people in; oidc: go to /auth/oidc/login',
  }),
  providerName: Type.Optional(
    Type.String({ description: 'oidc only: the provider to show on the sign-in button' }),
  ),
  demoUsers: Type.Array(DemoUser, { description: 'The users the demo sign-in offers (demo only)' }),
});

/**
 * Demo sign-in is on only outside production and only when the config names demo users (a config rule
 * refuses demo users in production, so this is belt and braces).
 */
export const demoSignInEnabled = (config: RouteDeps['config']): boolean =>
  config.environment !== 'production' && config.demo.users.length > 0;

/**
 * Who the browser is signed in as (`GET /api/v3/session`), and the demo's sign-in and sign-out. The demo
 * sign-in sets the same signed JWT cookie the Weep challenge login issues, which the gateway already
 * accepts as an identity source: there is one session mechanism, not two.
 */
export function registerSessionRoutes(app: GatewayApp, deps: RouteDeps): void {
  const demo = demoSignInEnabled(deps.config);
  const oidc = deps.config.auth.oidc;
  const cookieName = deps.jwt.cookieName;

  app.get(
    '/api/v3/session',
    {
      config: { access: 'public' },
      schema: {
        tags: ['session'],
        summary: 'Who this browser is signed in as, and how to sign in',
        response: { 200: SessionReply, 400: ErrorBody },
      },
    },
    async (request, reply) => {
      void reply.header('cache-control', 'no-store');
      const identity = request.identity;
      return {
        signedIn: identity !== undefined,
        ...(identity ? { user: identity.user, groups: identity.groups } : {}),
        isAdmin: request.isAdmin,
        signIn: demo ? ('demo' as const) : oidc ? ('oidc' as const) : ('proxy' as const),
        ...(oidc ? { providerName: oidc.providerName } : {}),
        demoUsers: demo ? deps.config.demo.users : [],
      };
    },
  );

  app.post(
    '/api/v3/session/demo',
    {
      config: { access: 'public' },
      preValidation: createRateLimitHook({
        limiter: deps.signInRateLimiter,
        what: 'sign-ins from your address',
        perMinute: deps.config.gateway.rateLimit.signInsPerMinute,
        subject: byPeerAddress,
      }),
      schema: {
        tags: ['session'],
        summary: 'Demo only: sign this browser in as one of the demo users (sets the session cookie)',
        body: Type.Object(
          { email: Type.String({ minLength: 1, maxLength: 320 }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ user: Type.String(), groups: Type.Array(Type.String()) }),
          400: ErrorBody,
          404: ErrorBody,
          429: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      if (!demo) {
        throw new AppError(
          'DEMO_SIGN_IN_DISABLED',
          'demo sign-in is off here: sign in through the proxy in front of Rolecall',
        );
      }
      const email = request.body.email.trim().toLowerCase();
      const user = deps.config.demo.users.find((u) => u.email.toLowerCase() === email);
      if (!user) {
        throw new AppError(
          'UNKNOWN_DEMO_USER',
          `${request.body.email} is not a demo user; pick one of ${deps.config.demo.users.map((u) => u.email).join(', ')}`,
        );
      }
      const iat = Math.floor(deps.now() / 1000);
      const exp = iat + deps.jwt.expirationMinutes * 60;
      const token = await signJwt({ email: user.email, groups: user.groups, iat, exp }, deps.jwt.keys);
      void reply.header('cache-control', 'no-store').setCookie(cookieName, token, {
        path: '/',
        httpOnly: true,
        // Lax: a cross-site form cannot post with it; JSON posts need a preflight this server never grants.
        sameSite: 'lax',
        // Secure whenever the browser came over https, also through a TLS-terminating trusted proxy.
        secure: deps.isSecure(request),
        expires: new Date(exp * 1000),
      });
      request.log.info({ user: user.email }, 'demo sign-in');
      return { user: user.email, groups: user.groups };
    },
  );

  app.post(
    '/api/v3/session/sign-out',
    {
      config: { access: 'public' },
      schema: {
        tags: ['session'],
        summary: 'Clear the session cookie (a trusted proxy in front may keep you signed in)',
        response: { 200: Type.Object({ signedOut: Type.Boolean() }), ...commonErrors },
      },
    },
    async (_request, reply) => {
      void reply.header('cache-control', 'no-store').clearCookie(cookieName, { path: '/' });
      return { signedOut: true };
    },
  );
}
