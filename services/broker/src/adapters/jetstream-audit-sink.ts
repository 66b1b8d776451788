import { brokerSubjects, CredentialsAudited } from '@rolecall/shared/contracts';
import { publishEvent } from '@rolecall/shared/nats';
import type { JetStreamClient } from 'nats';
import type { AuditSink } from '../domain/ports.js';

/** Audit events onto the AUDIT stream; the message id is the event id, so a retried publish is one event. */
export function createJetStreamAuditSink(options: { js: JetStreamClient; source: string }): AuditSink {
  return {
    async record(event) {
      await publishEvent(
        options.js,
        brokerSubjects.credentialsAudited(event.outcome),
        CredentialsAudited,
        event,
        {
          source: options.source,
          msgId: event.id,
        },
      );
    },
  };
}
