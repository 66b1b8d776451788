import { AppError } from '@rolecall/shared/errors';
import { Type } from 'typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { resourceUrlFor } from '../../domain/resource-url.js';
import { parseArn } from '@rolecall/shared/iam';
import { toHttpError } from '../../plugins/error-handler.js';
import type { GatewayApp, RouteDeps } from '../deps.js';
import { ErrorBody } from '../schemas.js';

const Query = Type.Object(
  { arn: Type.String({ minLength: 1, maxLength: 2048 }) },
  { additionalProperties: true },
);

const WebError = Type.Object(
  {
    status: Type.Literal('error'),
    status_code: Type.Integer(),
    reason: Type.String(),
    errors: Type.Array(Type.String()),
  },
  { additionalProperties: true },
);

/**
 * `GET /api/v2/get_resource_url?arn=` (`weep open`): the relative UI path of a cached resource. Errors
 * are ConsoleMe's WebResponse, whose `errors` Weep prints.
 */
export function registerGetResourceUrlRoute(app: GatewayApp, deps: RouteDeps): void {
  app.get(
    '/api/v2/get_resource_url',
    {
      config: { access: 'cli' },
      errorHandler: (error, request, reply) => {
        answerWebError(error, request, reply);
      },
      schema: {
        tags: ['resources'],
        summary: 'UI path of a cached resource (ConsoleMe/Weep `open`)',
        querystring: Query,
        response: {
          200: Type.Object({
            status: Type.Literal('success'),
            status_code: Type.Literal(200),
            data: Type.Object({ url: Type.String() }),
          }),
          // Every error but the JWT check's is answered in that shape, the request limits' and a down
          // dependency's included; the shared ErrorBody those statuses default to would not serialize it.
          400: WebError,
          403: ErrorBody,
          404: WebError,
          414: WebError,
          431: WebError,
          503: WebError,
          504: WebError,
        },
      },
    },
    async (request) => {
      const arn = request.query.arn;
      if (!parseArn(arn)) {
        throw new AppError(
          'INVALID_ARN',
          `${arn} is not an ARN (arn:partition:service:region:account:resource)`,
        );
      }
      const item = await deps.readModel.getItem(arn);
      const url = item ? resourceUrlFor(item) : undefined;
      if (!url) throw new AppError('NOT_FOUND', `${arn} is not in Rolecall's cache`);
      return { status: 'success' as const, status_code: 200 as const, data: { url } };
    },
  );
}

function answerWebError(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const appError = toHttpError(error);
  if (appError.code === 'INVALID_JWT' || appError.code === 'UNAUTHENTICATED') throw appError;
  if (appError.fault === 'server') request.log.error({ err: error }, 'get_resource_url failed');
  void reply
    .status(appError.status)
    .type('application/json')
    .send({
      status: 'error',
      status_code: appError.status,
      reason: appError.code.toLowerCase(),
      errors: [appError.message],
    });
}
