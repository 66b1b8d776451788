import { AppError } from '@rolecall/shared/errors';
import { Type } from 'typebox';
import { findRole } from '../../domain/role-lookup.js';
import type { GatewayApp, RouteDeps } from '../deps.js';
import { AccountIdString, ErrorBody, commonErrors } from '../schemas.js';

const cliErrors = { 403: ErrorBody, 503: ErrorBody, 504: ErrorBody } as const;

const AuditRolesQuery = Type.Object(
  {
    page: Type.Optional(
      // Bounded so that page × count stays an integer Redis takes as an offset (past the last page is empty).
      Type.Integer({
        minimum: 0,
        maximum: 1_000_000_000,
        default: 0,
        description: 'Page number, from 0 (ConsoleMe)',
      }),
    ),
    count: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000, default: 1000 })),
  },
  { additionalProperties: false },
);

const AuditCredentialsQuery = Type.Object(
  {
    user: Type.Optional(Type.String({ minLength: 1, maxLength: 320 })),
    role: Type.Optional(Type.String({ minLength: 1, maxLength: 2048, description: 'Role ARN' })),
    since: Type.Optional(Type.String({ format: 'date-time' })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  },
  { additionalProperties: false },
);

const AuditEvent = Type.Object(
  {
    id: Type.String(),
    at: Type.String(),
    user: Type.String(),
    channel: Type.String(),
    requestedRole: Type.String(),
    outcome: Type.String(),
  },
  { additionalProperties: true },
);

/**
 * Audit routes: ConsoleMe's `GET /api/v2/audit/roles` and `…/{account}/{role}/access` (CLI auth, for
 * external tools) and Rolecall's `GET /api/v3/audit/credentials` (admins: every issuance and refusal).
 */
export function registerAuditRoutes(app: GatewayApp, deps: RouteDeps): void {
  app.get(
    '/api/v2/audit/roles',
    {
      config: { access: 'cli' },
      schema: {
        tags: ['audit'],
        summary: 'Every cached role ARN, paginated (ConsoleMe)',
        querystring: AuditRolesQuery,
        response: {
          200: Type.Object({
            status: Type.Literal('success'),
            status_code: Type.Literal(200),
            data: Type.Array(Type.String()),
            page: Type.Integer(),
            total: Type.Integer(),
            count: Type.Integer(),
            last_page: Type.Integer(),
          }),
          ...cliErrors,
          400: ErrorBody,
        },
      },
    },
    async (request) => {
      const page = request.query.page ?? 0;
      const count = request.query.count ?? 1000;
      const index = { kind: 'type', itemType: 'iam_role' } as const;
      const total = await deps.readModel.countIndex(index);
      const data = await deps.readModel.rangeIndex(index, { offset: page * count, count });
      return {
        status: 'success' as const,
        status_code: 200 as const,
        data,
        page,
        total,
        count,
        last_page: Math.max(0, Math.ceil(total / count) - 1),
      };
    },
  );

  app.get(
    '/api/v2/audit/roles/:accountId/:roleName/access',
    {
      config: { access: 'cli' },
      schema: {
        tags: ['audit'],
        summary: 'Users and groups that may use a role (ConsoleMe)',
        params: Type.Object({
          accountId: AccountIdString,
          roleName: Type.String({ pattern: '^[\\w+=,.@-]{1,64}$' }),
        }),
        response: {
          200: Type.Object({
            status: Type.Literal('success'),
            status_code: Type.Literal(200),
            data: Type.Array(Type.String()),
          }),
          ...cliErrors,
          400: ErrorBody,
          404: ErrorBody,
        },
      },
    },
    async (request) => {
      const { accountId, roleName } = request.params;
      const role = await findRole(deps.readModel, accountId, roleName, deps.limits.chunkSize);
      const access = role ? await deps.broker.roleAccess(role.arn) : undefined;
      if (!role || !access?.known) {
        throw new AppError('NOT_FOUND', `role ${roleName} in account ${accountId} is not known to Rolecall`, {
          context: { accountId, roleName },
        });
      }
      return { status: 'success' as const, status_code: 200 as const, data: access.identities };
    },
  );

  app.get(
    '/api/v3/audit/credentials',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['audit'],
        summary: 'Credential issuances and refusals, newest first (admins only)',
        querystring: AuditCredentialsQuery,
        response: {
          200: Type.Object({
            items: Type.Array(AuditEvent),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
          }),
          ...commonErrors,
          403: ErrorBody,
          503: ErrorBody,
          504: ErrorBody,
        },
      },
    },
    async (request) => {
      const q = request.query;
      return deps.broker.queryAudit({
        limit: q.limit ?? 100,
        ...(q.user === undefined ? {} : { user: q.user }),
        ...(q.role === undefined ? {} : { role: q.role }),
        ...(q.since === undefined ? {} : { since: q.since }),
        ...(q.cursor === undefined ? {} : { cursor: q.cursor }),
      });
    },
  );
}
