import { AppError } from '@rolecall/shared/errors';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { signJwt, verifyJwt } from '../../domain/jwt.js';
import type { OidcSignIn, OidcSignedIn, OidcTransaction } from '../../domain/oidc.js';
import { seal, unseal } from '../../domain/oidc-seal.js';
import { isHttps, publicBaseUrl } from '../../domain/public-url.js';
import type { GatewayApp, RouteDeps } from '../deps.js';
import { ErrorBody } from '../schemas.js';

/** The sealed sign-in transaction, between the redirect to the provider and its callback. */
const TRANSACTION_COOKIE = 'rolecall_oidc_tx';
/** The sealed refresh token and ID token (for the provider's sign-out), beside the session cookie. */
const REFRESH_COOKIE = 'rolecall_oidc_refresh';
const AUTH_PATH = '/auth';
const TRANSACTION_SECONDS = 600;
/** The refresh cookie outlives sessions: it is what renews them. The provider bounds the token itself. */
const REFRESH_COOKIE_SECONDS = 30 * 24 * 3600;

/** Only paths on this gateway: `//evil.example` or `/\evil` would send the browser elsewhere. */
export function safeReturnTo(value: string | undefined): string {
  if (value === undefined || !/^\/(?![/\\])[\x21-\x7e]*$/.test(value)) return '/';
  return value;
}

const ReturnTo = Type.Object(
  {
    returnTo: Type.Optional(
      Type.String({ maxLength: 2048, description: 'A path on this gateway to land on' }),
    ),
  },
  { additionalProperties: false },
);

/**
 * OpenID Connect sign-in: `GET /auth/oidc/login` (redirect to the provider), `GET /auth/oidc/callback` (the
 * code redeemed, the session cookie set), `POST /auth/oidc/refresh` (renew a session near its expiry with
 * the refresh token) and `POST /auth/logout` (clear the cookies; the provider's sign-out URL to go on to).
 * The session is the gateway's own JWT cookie, the one Weep's challenge login and the demo sign-in set.
 */
export function registerOidcRoutes(
  app: GatewayApp,
  deps: RouteDeps & { oidc: OidcSignIn | undefined },
): void {
  const { oidc } = deps;
  const nowSeconds = () => Math.floor(deps.now() / 1000);
  const baseOf = (request: FastifyRequest) => publicBaseUrl(deps.config.gateway.publicUrl, request);
  const redirectUriOf = (request: FastifyRequest) => `${baseOf(request)}/auth/oidc/callback`;
  const cookieOptions = (request: FastifyRequest, path: string, expiresAtSeconds: number) => ({
    path,
    httpOnly: true,
    // Lax: the provider's redirect back is a top-level GET, which carries Lax cookies; cross-site posts do not.
    sameSite: 'lax' as const,
    secure: isHttps(baseOf(request)),
    expires: new Date(expiresAtSeconds * 1000),
  });
  const required = (): OidcSignIn => {
    if (!oidc) {
      throw new AppError('OIDC_NOT_CONFIGURED', 'OpenID Connect sign-in is not configured here (auth.oidc)');
    }
    return oidc;
  };

  const startSession = async (request: FastifyRequest, reply: FastifyReply, signedIn: OidcSignedIn) => {
    const iat = nowSeconds();
    const exp = iat + deps.jwt.expirationMinutes * 60;
    const token = await signJwt({ email: signedIn.user, groups: signedIn.groups, iat, exp }, deps.jwt.keys);
    void reply.setCookie(deps.jwt.cookieName, token, cookieOptions(request, '/', exp));
    if (signedIn.refreshToken !== undefined || signedIn.idToken !== undefined) {
      const until = iat + REFRESH_COOKIE_SECONDS;
      const sealed = await seal(
        { refreshToken: signedIn.refreshToken, idToken: signedIn.idToken },
        deps.jwt.keys,
        'oidc-refresh',
        until,
      );
      void reply.setCookie(REFRESH_COOKIE, sealed, cookieOptions(request, AUTH_PATH, until));
    }
    return exp;
  };

  app.get(
    '/auth/oidc/login',
    {
      config: { access: 'public' },
      schema: {
        tags: ['session'],
        summary: 'Start an OpenID Connect sign-in: redirects to the provider (authorization code + PKCE)',
        querystring: ReturnTo,
        response: { 302: Type.Null(), 400: ErrorBody, 404: ErrorBody, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      const { url, transaction } = await required().start(
        safeReturnTo(request.query.returnTo),
        redirectUriOf(request),
      );
      const sealed = await seal(
        { ...transaction },
        deps.jwt.keys,
        'oidc-transaction',
        nowSeconds() + TRANSACTION_SECONDS,
      );
      void reply
        .header('cache-control', 'no-store')
        .setCookie(
          TRANSACTION_COOKIE,
          sealed,
          cookieOptions(request, AUTH_PATH, nowSeconds() + TRANSACTION_SECONDS),
        );
      return reply.redirect(url.href, 302);
    },
  );

  app.get(
    '/auth/oidc/callback',
    {
      config: { access: 'public' },
      schema: {
        tags: ['session'],
        summary: "The OpenID provider's redirect back: redeems the code and sets the session cookie",
        querystring: Type.Object(
          {
            code: Type.Optional(Type.String({ maxLength: 4096 })),
            state: Type.Optional(Type.String({ maxLength: 512 })),
            error: Type.Optional(Type.String({ maxLength: 256 })),
            error_description: Type.Optional(Type.String({ maxLength: 2048 })),
            iss: Type.Optional(Type.String({ maxLength: 2048 })),
            session_state: Type.Optional(Type.String({ maxLength: 512 })),
          },
          { additionalProperties: false },
        ),
        response: { 302: Type.Null(), 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      const signIn = required();
      const sealed = request.cookies[TRANSACTION_COOKIE];
      const opened = sealed
        ? await unseal(sealed, deps.jwt.keys, 'oidc-transaction', nowSeconds())
        : undefined;
      const transaction = opened as OidcTransaction | undefined;
      // The state must be the one this browser was sent off with: a callback from anyone else's sign-in
      // (login CSRF), an altered state or a transaction older than TRANSACTION_SECONDS stops here.
      if (
        !transaction ||
        typeof transaction.state !== 'string' ||
        request.query.state !== transaction.state
      ) {
        throw new AppError(
          'OIDC_STATE_INVALID',
          'this sign-in callback does not match a sign-in started in this browser (state), or took too long; start again at /auth/oidc/login',
        );
      }
      // One attempt per transaction: the cookie goes whatever the outcome.
      void reply.clearCookie(TRANSACTION_COOKIE, { path: AUTH_PATH });
      const search = new URL(request.url, 'http://gateway').search;
      const signedIn = await signIn.finish(new URL(`${redirectUriOf(request)}${search}`), transaction);
      await startSession(request, reply, signedIn);
      request.log.info({ user: signedIn.user, groups: signedIn.groups.length }, 'oidc sign-in');
      void reply.header('cache-control', 'no-store');
      return reply.redirect(safeReturnTo(transaction.returnTo), 302);
    },
  );

  app.post(
    '/auth/oidc/refresh',
    {
      config: { access: 'public' },
      schema: {
        tags: ['session'],
        summary: 'Renew an OpenID Connect session near its expiry with the refresh token (groups read again)',
        response: {
          200: Type.Object({
            refreshed: Type.Boolean(),
            expiresAt: Type.Integer({ description: 'Unix seconds when the session cookie expires' }),
          }),
          400: ErrorBody,
          401: ErrorBody,
          404: ErrorBody,
          503: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const signIn = required();
      void reply.header('cache-control', 'no-store');
      const session = request.cookies[deps.jwt.cookieName];
      const verdict = session ? await verifyJwt(session, deps.jwt.keys, nowSeconds()) : undefined;
      const refreshBefore = deps.config.auth.oidc?.refreshBeforeSeconds ?? 0;
      if (verdict?.ok && verdict.claims.exp - nowSeconds() > refreshBefore) {
        return { refreshed: false, expiresAt: verdict.claims.exp };
      }
      const sealed = request.cookies[REFRESH_COOKIE];
      const kept = sealed ? await unseal(sealed, deps.jwt.keys, 'oidc-refresh', nowSeconds()) : undefined;
      if (typeof kept?.refreshToken !== 'string') {
        throw new AppError(
          'OIDC_SIGN_IN_FAILED',
          'there is no refresh token for this browser; sign in again',
        );
      }
      const signedIn = await signIn.refresh(kept.refreshToken);
      const expiresAt = await startSession(request, reply, {
        ...signedIn,
        // A provider that does not rotate refresh tokens answers without one: keep the one we have.
        refreshToken: signedIn.refreshToken ?? kept.refreshToken,
        ...((signedIn.idToken ?? typeof kept.idToken === 'string')
          ? { idToken: signedIn.idToken ?? (kept.idToken as string) }
          : {}),
      });
      return { refreshed: true, expiresAt };
    },
  );

  app.post(
    '/auth/logout',
    {
      config: { access: 'public' },
      schema: {
        tags: ['session'],
        summary:
          "Sign out: clears the session cookies, and names the provider's sign-out page where there is one",
        response: {
          200: Type.Object({
            signedOut: Type.Boolean(),
            endSessionUrl: Type.Optional(
              Type.String({ description: "Go here to end the provider's session too" }),
            ),
          }),
          400: ErrorBody,
          503: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      void reply
        .header('cache-control', 'no-store')
        .clearCookie(deps.jwt.cookieName, { path: '/' })
        .clearCookie(REFRESH_COOKIE, { path: AUTH_PATH })
        .clearCookie(TRANSACTION_COOKIE, { path: AUTH_PATH });
      if (!oidc) return { signedOut: true };
      const sealed = request.cookies[REFRESH_COOKIE];
      const kept = sealed ? await unseal(sealed, deps.jwt.keys, 'oidc-refresh', nowSeconds()) : undefined;
      const url = await oidc.endSessionUrl({
        postLogoutRedirectUri: `${baseOf(request)}/`,
        ...(typeof kept?.idToken === 'string' ? { idTokenHint: kept.idToken } : {}),
      });
      return { signedOut: true, ...(url ? { endSessionUrl: url.href } : {}) };
    },
  );
}
