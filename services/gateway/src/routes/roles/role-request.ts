import {
  RequestCreationResponse,
  RequestStatus,
  type ChangeModel,
  type RoleDeletionRequestModel,
} from '@rolecall/shared/contracts';
import { AppError } from '@rolecall/shared/errors';
import type { FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import type { RouteDeps } from '../deps.js';
import { callerOf } from '../credentials/request-context.js';
import { refused } from '../requests/request-routes.js';

/**
 * What the role routes answer: ConsoleMe's RequestCreationResponse, with the request's status and whether
 * the change is already in AWS (an admin's `admin_auto_approve`), so a script need not read the request.
 */
export const RoleRequestResponse = Type.Object({
  ...RequestCreationResponse.properties,
  request_status: RequestStatus,
  applied: Type.Boolean({ description: 'The role change is done in AWS (approved and applied at once)' }),
});
export type RoleRequestResponse = Static<typeof RoleRequestResponse>;

/** Refuses an account Rolecall does not know: its spoke role could not be reached to apply anything. */
export async function requireKnownAccount(deps: RouteDeps, accountId: string, field: string): Promise<void> {
  const known = (await deps.readModel.listAccounts()).some((a) => a.id === accountId);
  if (!known) {
    throw new AppError('NOT_FOUND', `account ${accountId} (${field}) is not one Rolecall knows`, {
      context: { reason: 'ACCOUNT_UNKNOWN', accountId },
    });
  }
}

/** Files the change as a policy request (services/requests validates, decides and may apply it). */
export async function submitRoleChange(
  deps: RouteDeps,
  request: FastifyRequest,
  change: ChangeModel,
  fields: RoleDeletionRequestModel,
): Promise<RoleRequestResponse> {
  const reply = await deps.requests.create(callerOf(request), {
    changes: { changes: [change] },
    ...(fields.justification === undefined ? {} : { justification: fields.justification }),
    admin_auto_approve: fields.admin_auto_approve === true,
  });
  if (reply.outcome === 'refused') throw refused(reply);
  const status = reply.response.extended_request?.request_status ?? 'pending';
  const applied = reply.response.extended_request?.changes.changes[0]?.status === 'applied';
  return { ...reply.response, request_status: status, applied };
}
