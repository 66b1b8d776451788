import type { JetStreamClient } from '@nats-io/jetstream';
import { brokerEvents } from '@rolecall/shared/contracts';
import { publishEvent } from '@rolecall/shared/nats';
import type { AuditSink } from '../domain/ports.js';

/** How long the stream's acknowledgement may take before the next sink is tried. */
const ACK_TIMEOUT_MS = 2_000;

/**
 * Audit records onto the AUDIT stream, acknowledged before `record` resolves. The message id (from
 * `brokerEvents.credentialsAudited`) is the record's id and outcome: a retried publish is one message,
 * and an intent and its completion are two.
 */
export function createJetStreamAuditSink(options: { js: JetStreamClient; source: string }): AuditSink {
  return {
    name: 'jetstream',
    async record(event) {
      await publishEvent(options.js, brokerEvents.credentialsAudited, event, {
        source: options.source,
        timeoutMs: ACK_TIMEOUT_MS,
      });
    },
  };
}
