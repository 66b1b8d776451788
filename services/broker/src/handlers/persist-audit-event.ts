import type { CredentialAuditEvent } from '@rolecall/shared/contracts';
import type { AuditStore } from '../domain/ports.js';

/** Audit events from JetStream into DynamoDB; keyed by event id, so a redelivery writes the same item. */
export function createPersistAuditEventHandler(options: { store: AuditStore }) {
  return async (event: CredentialAuditEvent): Promise<void> => options.store.put(event);
}
