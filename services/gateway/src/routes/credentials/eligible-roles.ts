import { EligibleRole } from '@rolecall/shared/contracts';
import { Type } from 'typebox';
import { sortByAccountThenRole, toEligibleRoleRow } from '../../domain/eligible-roles.js';
import type { GatewayApp, RouteDeps } from '../deps.js';
import { ErrorBody, commonErrors } from '../schemas.js';
import { callerOf } from './request-context.js';

const Row = Type.Object({
  arn: Type.String(),
  account_name: Type.String(),
  account_id: Type.String(),
  role_name: Type.String({ description: 'Markdown link to the role in the policy editor' }),
  redirect_uri: Type.String({ description: 'The console sign-in page for the role' }),
});

const Body = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })) },
  { additionalProperties: true },
);

/**
 * The role-select page's data: `POST /api/v2/eligible_roles` (DataTable of console roles) and
 * `GET /api/v2/roles` (`{eligible_roles}`). Console roles only, as in ConsoleMe's web UI.
 */
export function registerEligibleRolesRoutes(app: GatewayApp, deps: RouteDeps): void {
  app.post(
    '/api/v2/eligible_roles',
    {
      schema: {
        tags: ['credentials'],
        summary: 'Console roles you may sign in as (ConsoleMe DataTable)',
        body: Body,
        response: {
          200: Type.Object({
            totalCount: Type.Integer(),
            filteredCount: Type.Integer(),
            data: Type.Array(Row),
          }),
          ...commonErrors,
          503: ErrorBody,
          504: ErrorBody,
        },
      },
    },
    async (request) => {
      const { roles } = await deps.broker.eligibleRoles(callerOf(request), 'console');
      const rows = sortByAccountThenRole(roles).map(toEligibleRoleRow);
      const limited = request.body.limit === undefined ? rows : rows.slice(0, request.body.limit);
      return { totalCount: rows.length, filteredCount: limited.length, data: limited };
    },
  );

  app.get(
    '/api/v2/roles',
    {
      schema: {
        tags: ['credentials'],
        summary: 'ARNs of the console roles you may sign in as',
        response: {
          200: Type.Object({ eligible_roles: Type.Array(Type.String()) }),
          ...commonErrors,
          503: ErrorBody,
          504: ErrorBody,
        },
      },
    },
    async (request) => {
      const { roles } = await deps.broker.eligibleRoles(callerOf(request), 'console');
      return { eligible_roles: roles.map((r) => r.arn).sort() };
    },
  );

  app.get(
    '/api/v3/roles/eligible',
    {
      schema: {
        tags: ['credentials'],
        summary: 'Every role you may use, console and CLI-only, with account names (the web UI home page)',
        response: {
          200: Type.Object({ roles: Type.Array(EligibleRole) }),
          ...commonErrors,
          503: ErrorBody,
          504: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      // The CLI channel's answer holds every role; cliOnly marks those that cannot open the console.
      const { roles } = await deps.broker.eligibleRoles(callerOf(request), 'cli');
      void reply.header('cache-control', 'private, no-store');
      return { roles: sortByAccountThenRole(roles) };
    },
  );
}
