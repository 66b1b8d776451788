import type { AuthorizationMapping } from '../domain/ports.js';

/** `broker.roles.access`: the reverse map for one role (who may use it), for the audit routes. */
export function createRoleAccessHandler(options: { mapping: AuthorizationMapping }) {
  return async (request: { roleArn: string }) => options.mapping.roleAccess(request.roleArn);
}
