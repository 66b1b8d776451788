import type { AuditSink, AuditStore } from '../domain/ports.js';

/**
 * Audit records straight into the audit table: the fallback when the AUDIT stream cannot take them (NATS
 * down), so that credentials are never issued, nor their completion lost, for want of JetStream alone.
 */
export function createDirectAuditSink(options: { store: AuditStore }): AuditSink {
  return { name: 'dynamodb', record: (event) => options.store.put(event) };
}
