import type { AuditQuery, AuditStore } from '../domain/ports.js';
import { normalizeIdentity } from '../domain/authorization.js';

/** `broker.audit.query`: persisted credential audit events by user, role and time, newest first. */
export function createQueryAuditHandler(options: { store: AuditStore; lowercaseIdentities: boolean }) {
  return async (request: AuditQuery) =>
    options.store.query({
      ...request,
      ...(request.user !== undefined ? { user: normalizeIdentity(request.user, options) } : {}),
    });
}
