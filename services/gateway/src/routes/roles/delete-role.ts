import { RoleDeletionRequestModel } from '@rolecall/shared/contracts';
import { AppError } from '@rolecall/shared/errors';
import { Type } from 'typebox';
import { buildDeleteRoleChange } from '../../domain/role-changes.js';
import { findRole } from '../../domain/role-lookup.js';
import type { GatewayApp, RouteDeps } from '../deps.js';
import { requestErrors } from '../requests/request-routes.js';
import { AccountIdString } from '../schemas.js';
import { RoleRequestResponse, submitRoleChange } from './role-request.js';

const Params = Type.Object({
  accountId: AccountIdString,
  roleName: Type.String({
    pattern: '^[A-Za-z0-9_+=,.@-]{1,64}$',
    description: 'IAM role name (without path)',
  }),
});

/**
 * `DELETE /api/v2/roles/{account}/{role}` (ConsoleMe's delete): files a delete_role request for the cached
 * role. Applied, it leaves no instance profile, policy attachment or inline policy behind.
 */
export function registerDeleteRoleRoute(app: GatewayApp, deps: RouteDeps): void {
  app.delete(
    '/api/v2/roles/:accountId/:roleName',
    {
      schema: {
        tags: ['roles'],
        summary: 'Delete a role through a request: profiles removed, policies detached, then the role',
        params: Params,
        body: RoleDeletionRequestModel,
        response: { 200: RoleRequestResponse, ...requestErrors },
      },
    },
    async (request) => {
      const { accountId, roleName } = request.params;
      const role = await findRole(deps.readModel, accountId, roleName, deps.limits.chunkSize);
      if (!role) {
        throw new AppError('NOT_FOUND', `role ${roleName} in account ${accountId} is not in the cache`, {
          context: { reason: 'ROLE_NOT_FOUND', accountId, roleName },
        });
      }
      return submitRoleChange(deps, request, buildDeleteRoleChange(role), request.body ?? {});
    },
  );
}
