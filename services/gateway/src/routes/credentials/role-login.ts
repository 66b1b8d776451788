import { Type } from 'typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toHttpError } from '../../plugins/error-handler.js';
import type { GatewayApp, RouteDeps } from '../deps.js';
import { ErrorBody } from '../schemas.js';
import { createCredentialRateLimitHook } from './rate-limit.js';
import { callerOf, contextOf } from './request-context.js';

const Params = Type.Object({
  '*': Type.String({ minLength: 1, maxLength: 2048, description: 'Role ARN, name, or search string' }),
});

const Query = Type.Object(
  {
    r: Type.Optional(
      Type.String({ pattern: '^[a-z]{2}(-[a-z]+)+-\\d{1,2}$', description: 'Console region' }),
    ),
    redirect: Type.Optional(
      Type.String({ maxLength: 4096, description: 'Console URL to land on instead of the home page' }),
    ),
  },
  { additionalProperties: true },
);

const Redirect = Type.Object({
  type: Type.Literal('redirect'),
  reason: Type.Union([Type.Literal('console_login'), Type.Literal('multiple_roles')]),
  redirect_url: Type.String(),
  role: Type.Optional(Type.String()),
});

const RoleLoginError = Type.Object(
  { type: Type.String(), message: Type.String(), error: Type.Optional(Type.String()) },
  { additionalProperties: true },
);

/**
 * `GET /api/v2/role_login/{query}?r=&redirect=`: the AWS console sign-in URL for one of your console
 * roles. Which role, and whether it may be used in the console (cli-only roles may not), is the broker's
 * decision; this route only gives its answer ConsoleMe's shapes.
 */
export function registerRoleLoginRoute(app: GatewayApp, deps: RouteDeps): void {
  app.get(
    '/api/v2/role_login/*',
    {
      preValidation: createCredentialRateLimitHook(deps),
      errorHandler: (error, request, reply) => {
        answerFailure(error, request, reply);
      },
      schema: {
        tags: ['credentials'],
        summary: 'AWS console sign-in URL for one of your roles (ConsoleMe)',
        params: Params,
        querystring: Query,
        response: {
          200: Redirect,
          400: RoleLoginError,
          404: RoleLoginError,
          401: ErrorBody,
          429: ErrorBody,
          502: RoleLoginError,
          503: RoleLoginError,
          504: RoleLoginError,
        },
      },
    },
    async (request, reply) => {
      const roleQuery = request.params['*'];
      const result = await deps.broker.consoleLogin({
        caller: callerOf(request),
        roleQuery,
        ...(request.query.r === undefined ? {} : { region: request.query.r }),
        ...(request.query.redirect === undefined ? {} : { redirect: request.query.redirect }),
        context: contextOf(request),
      });
      void reply.header('cache-control', 'no-store');
      if (result.outcome === 'signed_in') {
        return {
          type: 'redirect' as const,
          reason: 'console_login' as const,
          redirect_url: result.url,
          role: result.roleArn,
        };
      }
      if (result.reason === 'multiple_matching_roles') {
        const warning = Buffer.from(
          `You have more than one role matching your query. Please select one: ${result.matches.join(', ')}`,
        ).toString('base64');
        return {
          type: 'redirect' as const,
          reason: 'multiple_roles' as const,
          redirect_url: `/?arn=${encodeURIComponent(roleQuery)}&warningMessage=${encodeURIComponent(warning)}`,
        };
      }
      return reply.status(404).send({ type: 'error', message: result.message });
    },
  );
}

/** Errors that keep the gateway's own `{code, message}` answer (401, 403, 429, request limits), as on every route. */
const GATEWAY_ANSWERED = ['INVALID_JWT', 'UNAUTHENTICATED', 'RATE_LIMITED', 'FORBIDDEN'];
const LIMIT_STATUSES = [413, 414, 415, 431];

/**
 * Every other failure in ConsoleMe's role-login shape, which the UI reads (`type`, `message`): bad input
 * (a malformed region, a redirect that is no console URL, a query too long) is its 4xx; a dependency that
 * is down is 503/504 with its code; a failed sign-in (STS, the federation endpoint) is 502.
 */
function answerFailure(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const appError = toHttpError(error);
  if (GATEWAY_ANSWERED.includes(appError.code) || LIMIT_STATUSES.includes(appError.status)) throw appError;
  void reply.header('cache-control', 'no-store');
  if (appError.fault === 'client') {
    const status = appError.status === 404 ? 404 : 400;
    void reply.status(status).send({ type: 'error', message: appError.message, error: appError.code });
    return;
  }
  request.log.error({ err: error, code: appError.code }, 'console sign-in failed');
  if (appError.status === 503 || appError.status === 504) {
    void reply
      .status(appError.status)
      .send({ type: 'error', message: appError.message, error: appError.code });
    return;
  }
  // ConsoleMe's shape for a failed federation call; the UI shows `message`.
  void reply.status(502).send({
    type: 'console_url',
    message: `could not create a console sign-in URL (${appError.code}); try again or use weep`,
    error: appError.code,
  });
}
