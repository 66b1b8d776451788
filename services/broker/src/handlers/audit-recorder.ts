import { randomUUID } from 'node:crypto';
import type { Caller, Channel, CredentialAuditEvent, RequestContext } from '@rolecall/shared/contracts';
import type { Logger } from '@rolecall/shared/log';
import { normalizeIdentity } from '../domain/authorization.js';
import type { AuditSink } from '../domain/ports.js';

export type AuditOutcome = Pick<
  CredentialAuditEvent,
  'outcome' | 'roleArn' | 'reason' | 'durationSeconds' | 'accessKeyId'
>;

/**
 * Hands one audit event to the sink and returns at once. The sink must take the event before it
 * returns (the JetStream sink writes the publish to the NATS connection synchronously), so an event
 * recorded before a reply is on the wire before that reply; only the stream's acknowledgement is
 * waited for in the background.
 */
export type RecordAudit = (
  request: { caller: Caller; channel: Channel; requestedRole: string; context: RequestContext },
  outcome: AuditOutcome,
) => void;

export interface AuditRecorder {
  record: RecordAudit;
  /** Resolves when every event recorded so far is acknowledged or reported as lost (shutdown). */
  settled(): Promise<void>;
}

/**
 * Builds and sends one audit event per decision. Why the reply does not wait for the acknowledgement:
 * the publish leaves on the same connection before the reply, so waiting would only add a round trip
 * to every credential request; a failing sink is logged with the event's id, user and role, and never
 * changes the caller's answer (the decision is made and credentials may already exist).
 */
export function createAuditRecorder(options: {
  sink: AuditSink;
  log: Logger;
  lowercaseIdentities: boolean;
  now?: () => Date;
  newId?: () => string;
}): AuditRecorder {
  const now = options.now ?? (() => new Date());
  const newId = options.newId ?? randomUUID;
  const inFlight = new Set<Promise<void>>();

  const record: RecordAudit = (request, outcome) => {
    const event: CredentialAuditEvent = {
      id: newId(),
      at: now().toISOString(),
      user: normalizeIdentity(request.caller.user, options),
      groups: [...request.caller.groups],
      channel: request.channel,
      requestedRole: request.requestedRole,
      sourceIp: request.context.sourceIp,
      userAgent: request.context.userAgent,
      requestId: request.context.requestId,
      ...Object.fromEntries(Object.entries(outcome).filter(([, v]) => v !== undefined)),
      outcome: outcome.outcome,
    };
    let sent: Promise<void>;
    try {
      sent = options.sink.record(event);
    } catch (error) {
      sent = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    const tracked = sent.then(
      () => undefined,
      (error: unknown) => {
        options.log.error(
          { err: error, auditId: event.id, user: event.user, roleArn: event.roleArn, outcome: event.outcome },
          'credential audit event could not be recorded',
        );
      },
    );
    inFlight.add(tracked);
    void tracked.finally(() => inFlight.delete(tracked));
  };

  return {
    record,
    async settled() {
      await Promise.all([...inFlight]);
    },
  };
}
