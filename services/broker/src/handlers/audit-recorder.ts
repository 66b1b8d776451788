import { randomUUID } from 'node:crypto';
import type { Caller, Channel, CredentialAuditEvent, RequestContext } from '@rolecall/shared/contracts';
import type { Logger } from '@rolecall/shared/log';
import { normalizeIdentity } from '../domain/authorization.js';
import type { AuditSink } from '../domain/ports.js';

export type AuditOutcome = Pick<
  CredentialAuditEvent,
  'outcome' | 'roleArn' | 'reason' | 'durationSeconds' | 'accessKeyId'
>;

export type RecordAudit = (
  request: { caller: Caller; channel: Channel; requestedRole: string; context: RequestContext },
  outcome: AuditOutcome,
) => Promise<void>;

/**
 * Builds and sends one audit event per decision. A failing sink is logged, not thrown: the decision
 * has been made (credentials may already exist), and the caller should get its answer.
 */
export function createAuditRecorder(options: {
  sink: AuditSink;
  log: Logger;
  lowercaseIdentities: boolean;
  now?: () => Date;
  newId?: () => string;
}): RecordAudit {
  const now = options.now ?? (() => new Date());
  const newId = options.newId ?? randomUUID;
  return async (request, outcome) => {
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
    try {
      await options.sink.record(event);
    } catch (error) {
      options.log.error(
        { err: error, auditId: event.id, user: event.user, roleArn: event.roleArn, outcome: event.outcome },
        'credential audit event could not be recorded',
      );
    }
  };
}
