import { Type } from 'typebox';
import { toExtendedRole } from '../../domain/eligible-roles.js';
import type { GatewayApp, RouteDeps } from '../deps.js';
import { ErrorBody } from '../schemas.js';
import { callerOf } from './request-context.js';

const Query = Type.Object(
  {
    all: Type.Optional(
      Type.Boolean({
        default: false,
        description: 'true: include roles granted for the CLI only (Weep sends it)',
      }),
    ),
  },
  { additionalProperties: true },
);

const ExtendedRole = Type.Object({
  arn: Type.String(),
  account_id: Type.String(),
  account_friendly_name: Type.String(),
  role_name: Type.String(),
  apps: Type.Object({
    app_details: Type.Array(
      Type.Object({
        name: Type.String(),
        owner: Type.String(),
        owner_url: Type.String(),
        app_url: Type.String(),
      }),
    ),
  }),
});

const cliErrors = { 400: ErrorBody, 403: ErrorBody, 503: ErrorBody, 504: ErrorBody } as const;

/** `GET /api/v1/get_roles` (sorted ARNs) and `GET /api/v2/get_roles` (WebResponse with account names). */
export function registerGetRolesRoutes(app: GatewayApp, deps: RouteDeps): void {
  app.get(
    '/api/v1/get_roles',
    {
      config: { access: 'cli' },
      schema: {
        tags: ['credentials'],
        summary: 'ARNs of the roles you may use, sorted (ConsoleMe/Weep)',
        querystring: Query,
        response: { 200: Type.Array(Type.String()), ...cliErrors },
      },
    },
    async (request) => {
      const { roles } = await deps.broker.eligibleRoles(
        callerOf(request),
        request.query.all === true ? 'cli' : 'console',
      );
      return roles.map((r) => r.arn).sort();
    },
  );

  app.get(
    '/api/v2/get_roles',
    {
      config: { access: 'cli' },
      schema: {
        tags: ['credentials'],
        summary: 'The roles you may use with their account names (ConsoleMe/Weep `list`)',
        querystring: Query,
        response: {
          200: Type.Object({
            status: Type.Literal('success'),
            status_code: Type.Literal(200),
            data: Type.Object({ roles: Type.Array(ExtendedRole) }),
          }),
          ...cliErrors,
        },
      },
    },
    async (request) => {
      const { roles } = await deps.broker.eligibleRoles(
        callerOf(request),
        request.query.all === true ? 'cli' : 'console',
      );
      const sorted = [...roles].sort((a, b) => a.arn.localeCompare(b.arn));
      return {
        status: 'success' as const,
        status_code: 200 as const,
        data: { roles: sorted.map(toExtendedRole) },
      };
    },
  );
}
