import { RoleCreationRequestModel } from '@rolecall/shared/contracts';
import { AppError } from '@rolecall/shared/errors';
import { buildCreateRoleChange } from '../../domain/role-changes.js';
import { findRole } from '../../domain/role-lookup.js';
import type { GatewayApp, RouteDeps } from '../deps.js';
import { requestErrors } from '../requests/request-routes.js';
import { RoleRequestResponse, requireKnownAccount, submitRoleChange } from './role-request.js';

/**
 * `POST /api/v2/roles` (ConsoleMe's create role): files a create_role request. An admin with
 * `admin_auto_approve` gets the role at once; anyone else gets a pending request that admins review.
 */
export function registerCreateRoleRoute(app: GatewayApp, deps: RouteDeps): void {
  app.post(
    '/api/v2/roles',
    {
      schema: {
        tags: ['roles'],
        summary:
          "Create a role through a request: trust policy by default the account's, optional instance profile",
        body: RoleCreationRequestModel,
        response: { 200: RoleRequestResponse, ...requestErrors },
      },
    },
    async (request) => {
      const body = request.body;
      await requireKnownAccount(deps, body.account_id, 'account_id');
      // IAM role names are unique per account whatever the path: refuse early, with the code to act on.
      if (await findRole(deps.readModel, body.account_id, body.role_name, deps.limits.chunkSize)) {
        throw new AppError('CONFLICT', `account ${body.account_id} has a role named ${body.role_name}`, {
          context: { reason: 'ROLE_EXISTS', accountId: body.account_id, roleName: body.role_name },
        });
      }
      return submitRoleChange(deps, request, buildCreateRoleChange(body), body);
    },
  );
}
