import { isAppError } from '@rolecall/shared/errors';
import { Type } from '@sinclair/typebox';
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
        },
      },
    },
    async (request, reply) => {
      const roleQuery = request.params['*'];
      let result;
      try {
        result = await deps.broker.consoleLogin({
          caller: callerOf(request),
          roleQuery,
          ...(request.query.r === undefined ? {} : { region: request.query.r }),
          ...(request.query.redirect === undefined ? {} : { redirect: request.query.redirect }),
          context: contextOf(request),
        });
      } catch (error) {
        if (isAppError(error) && error.fault === 'client') {
          const status = error.status === 404 ? 404 : 400;
          return reply.status(status).send({ type: 'error', message: error.message, error: error.code });
        }
        // ConsoleMe's shape for a failed federation call; the UI shows `message`.
        const code = isAppError(error) ? error.code : 'INTERNAL';
        request.log.error({ err: error, roleQuery }, 'console sign-in failed');
        return reply.status(502).send({
          type: 'console_url',
          message: `could not create a console sign-in URL (${code}); try again or use weep`,
          error: code,
        });
      }
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
