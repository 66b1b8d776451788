import { AppError } from '@rolecall/shared/errors';
import { Type } from 'typebox';
import { toRoleModel } from '../../domain/consoleme-shapes.js';
import { findRole } from '../../domain/role-lookup.js';
import type { GatewayApp, RouteDeps } from '../deps.js';
import { AccountIdString, ErrorBody, commonErrors } from '../schemas.js';

const Params = Type.Object({
  accountId: AccountIdString,
  roleName: Type.String({ pattern: '^[\\w+=,.@-]{1,64}$', description: 'IAM role name (without path)' }),
});

const Tag = Type.Object({ Key: Type.String(), Value: Type.String() });

const Role = Type.Object({
  name: Type.String(),
  account_id: Type.String(),
  account_name: Type.String(),
  arn: Type.String(),
  inline_policies: Type.Array(Type.Object({ PolicyName: Type.String(), PolicyDocument: Type.Unknown() })),
  assume_role_policy_document: Type.Unknown(),
  managed_policies: Type.Array(Type.Object({ PolicyName: Type.String(), PolicyArn: Type.String() })),
  permissions_boundary: Type.Object({
    PermissionsBoundaryType: Type.Optional(Type.String()),
    PermissionsBoundaryArn: Type.Optional(Type.String()),
  }),
  tags: Type.Array(Tag),
  created_time: Type.Optional(Type.String()),
  last_used_time: Type.Optional(Type.String()),
  description: Type.Optional(Type.String()),
  templated: Type.Boolean(),
  last_seen: Type.String({
    format: 'date-time',
    description: 'When the crawl that last saw the role started',
  }),
  last_crawl_id: Type.String(),
});

/** `GET /api/v2/roles/{accountId}/{roleName}`: ConsoleMe's principal model from the cache. */
export function registerGetRoleRoute(app: GatewayApp, deps: RouteDeps): void {
  app.get(
    '/api/v2/roles/:accountId/:roleName',
    {
      schema: {
        tags: ['roles'],
        summary: 'One cached IAM role (ConsoleMe ExtendedAwsPrincipalModel)',
        params: Params,
        response: { 200: Role, 404: ErrorBody, ...commonErrors },
      },
    },
    async (request) => {
      const { accountId, roleName } = request.params;
      const view = await deps.catalog.view();
      const item = await findRole(deps.readModel, accountId, roleName, deps.limits.chunkSize, view.index);
      if (!item) {
        throw new AppError('NOT_FOUND', `role ${roleName} in account ${accountId} is not in the cache`, {
          context: { accountId, roleName },
        });
      }
      return toRoleModel(item, view.accountName(accountId));
    },
  );
}
