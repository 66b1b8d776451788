import { CloneRoleRequestModel } from '@rolecall/shared/contracts';
import { AppError } from '@rolecall/shared/errors';
import { buildCloneRoleChange } from '../../domain/role-changes.js';
import { findRole } from '../../domain/role-lookup.js';
import type { GatewayApp, RouteDeps } from '../deps.js';
import { requestErrors } from '../requests/request-routes.js';
import { RoleRequestResponse, requireKnownAccount, submitRoleChange } from './role-request.js';

/**
 * `POST /api/v2/clone/role` (ConsoleMe's clone): the cached source role's chosen parts become a
 * create_role request in the destination account, reviewed and applied like any other.
 */
export function registerCloneRoleRoute(app: GatewayApp, deps: RouteDeps): void {
  app.post(
    '/api/v2/clone/role',
    {
      schema: {
        tags: ['roles'],
        summary: 'Clone a role within or across accounts, choosing its parts, through a request',
        body: CloneRoleRequestModel,
        response: { 200: RoleRequestResponse, ...requestErrors },
      },
    },
    async (request) => {
      const body = request.body;
      const { chunkSize } = deps.limits;
      const source = await findRole(deps.readModel, body.account_id, body.role_name, chunkSize);
      if (!source) {
        throw new AppError(
          'NOT_FOUND',
          `role ${body.role_name} in account ${body.account_id} is not in the cache: nothing to clone`,
          {
            context: {
              reason: 'CLONE_SOURCE_NOT_FOUND',
              accountId: body.account_id,
              roleName: body.role_name,
            },
          },
        );
      }
      await requireKnownAccount(deps, body.dest_account_id, 'dest_account_id');
      if (await findRole(deps.readModel, body.dest_account_id, body.dest_role_name, chunkSize)) {
        throw new AppError(
          'CONFLICT',
          `account ${body.dest_account_id} has a role named ${body.dest_role_name}`,
          {
            context: {
              reason: 'ROLE_EXISTS',
              accountId: body.dest_account_id,
              roleName: body.dest_role_name,
            },
          },
        );
      }
      return submitRoleChange(deps, request, buildCloneRoleChange(source, body), body);
    },
  );
}
