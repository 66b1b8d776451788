import { AppError } from '@rolecall/shared/errors';
import { Type } from 'typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { canEditDynamicConfig } from '../../domain/config-editors.js';
import { toHttpError } from '../../plugins/error-handler.js';
import type { GatewayApp, RouteDeps } from '../deps.js';
import { ErrorBody, commonErrors } from '../schemas.js';

const SaveBody = Type.Object(
  {
    existing_sha256: Type.String({
      pattern: '^[0-9a-f]{64}$',
      description: 'sha256 of the document you edited',
    }),
    new_config: Type.String({ maxLength: 512 * 1024, description: 'The whole new YAML document' }),
  },
  { additionalProperties: false },
);

const SaveError = Type.Object(
  { status: Type.Literal('error'), error: Type.String(), code: Type.String() },
  { additionalProperties: true },
);

/**
 * `GET/POST /api/v2/dynamic_config` in ConsoleMe's shape: the YAML and its sha256; a save names the sha
 * it was edited from and is refused (409, nothing written) if someone saved in between.
 */
export function registerDynamicConfigRoutes(app: GatewayApp, deps: RouteDeps): void {
  const assertEditor = async (request: FastifyRequest) => {
    const identity = request.identity;
    if (!identity) throw new AppError('UNAUTHENTICATED', 'sign in to see the dynamic config');
    const current = await deps.dynamicConfig.load();
    const allowed = canEditDynamicConfig(identity, current.config, {
      adminGroups: deps.config.auth.adminGroups,
      lowercase: deps.config.auth.lowercaseGroups,
    });
    if (!allowed) {
      throw new AppError(
        'FORBIDDEN',
        'the dynamic config is for administrators and members of its groups.can_edit_config only',
        { context: { user: identity.user } },
      );
    }
    return { identity, current };
  };

  app.get(
    '/api/v2/dynamic_config',
    {
      schema: {
        tags: ['dynamic config'],
        summary: 'The dynamic config YAML and its sha256 (config editors only)',
        response: {
          200: Type.Object({ dynamicConfig: Type.String(), sha256: Type.String() }),
          ...commonErrors,
          403: ErrorBody,
          503: ErrorBody,
        },
      },
    },
    async (request) => {
      const { current } = await assertEditor(request);
      return { dynamicConfig: current.yaml, sha256: current.sha256 };
    },
  );

  app.post(
    '/api/v2/dynamic_config',
    {
      errorHandler: (error, request, reply) => {
        answerSaveError(error, request, reply);
      },
      schema: {
        tags: ['dynamic config'],
        summary: 'Replace the dynamic config (optimistic lock on sha256; config editors only)',
        body: SaveBody,
        response: {
          200: Type.Object({
            status: Type.Literal('success'),
            newConfig: Type.String(),
            // ConsoleMe's spelling, kept so its clients keep working.
            newsha56: Type.String(),
          }),
          400: SaveError,
          409: SaveError,
          401: ErrorBody,
          403: ErrorBody,
          503: ErrorBody,
        },
      },
    },
    async (request) => {
      const { identity } = await assertEditor(request);
      const saved = await deps.dynamicConfig.save(
        request.body.new_config,
        request.body.existing_sha256,
        identity.user,
      );
      request.log.info({ user: identity.user, sha256: saved.sha256 }, 'dynamic config saved');
      return { status: 'success' as const, newConfig: saved.yaml, newsha56: saved.sha256 };
    },
  );
}

/** Conflicts and invalid documents in ConsoleMe's `{status:"error", error}` (plus our code). */
function answerSaveError(error: unknown, _request: FastifyRequest, reply: FastifyReply): void {
  const appError = toHttpError(error);
  if (appError.code !== 'CONFLICT' && appError.status !== 400) throw appError;
  void reply
    .status(appError.status)
    .type('application/json')
    .send({
      status: 'error',
      error: appError.message,
      code: appError.code,
      ...(typeof appError.context.currentSha256 === 'string'
        ? { currentSha256: appError.context.currentSha256 }
        : {}),
    });
}
