import { brokerSubjects, CredentialsAudited } from '@rolecall/shared/contracts';
import { publishEvent } from '@rolecall/shared/nats';
import type { JetStreamClient } from 'nats';
import type { AuditSink } from '../domain/ports.js';

/** How long the stream's acknowledgement may take before the next sink is tried. */
const ACK_TIMEOUT_MS = 2_000;

/**
 * Audit records onto the AUDIT stream, acknowledged before `record` resolves. The message id is the
 * record's id and outcome: a retried publish is one message, and an intent and its completion are two.
 */
export function createJetStreamAuditSink(options: { js: JetStreamClient; source: string }): AuditSink {
  return {
    name: 'jetstream',
    async record(event) {
      await publishEvent(
        options.js,
        brokerSubjects.credentialsAudited(event.outcome),
        CredentialsAudited,
        event,
        {
          source: options.source,
          msgId: `${event.id}:${event.outcome}`,
          timeoutMs: ACK_TIMEOUT_MS,
        },
      );
    },
  };
}
