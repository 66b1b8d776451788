import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { headers as createHeaders, type MsgHdrs } from '@nats-io/transport-node';
import type { Logger } from '../log/index.js';
import { describeError, retryDelayMs, type DeadLetterReason } from './delivery-policy.js';
import { isMaxPayloadExceeded } from './jetstream-errors.js';

/** The dead-letter stream's name (defined as `deadLetterStream` in streams.ts). */
export const DEAD_LETTER_STREAM = 'DEAD_LETTERS';

/** `deadletter.<stream>.<consumer>`: stream and durable names hold no dots, so each is one token. */
export const deadLetterSubjects = {
  all: 'deadletter.>',
  of: (stream: string, consumer: string) => `deadletter.${stream}.${consumer}`,
} as const;

/** Headers a dead letter carries next to the original payload (and the original's own headers). */
export const DEAD_LETTER_HEADERS = {
  stream: 'Rolecall-Dead-Letter-Stream',
  consumer: 'Rolecall-Dead-Letter-Consumer',
  subject: 'Rolecall-Dead-Letter-Subject',
  sequence: 'Rolecall-Dead-Letter-Sequence',
  msgId: 'Rolecall-Dead-Letter-Msg-Id',
  deliveries: 'Rolecall-Dead-Letter-Deliveries',
  reason: 'Rolecall-Dead-Letter-Reason',
  error: 'Rolecall-Dead-Letter-Error',
  /** Set when the payload did not fit next to the headers; the original stays in its stream by sequence. */
  payloadOmitted: 'Rolecall-Dead-Letter-Payload-Omitted',
} as const;

const MSG_ID_HEADER = 'Nats-Msg-Id';
const MAX_ERROR_LENGTH = 1000;

export interface DeadLetters {
  /**
   * Copies the message to the dead-letter stream and, once the stream has acknowledged the copy,
   * terminates the original. When the copy cannot be stored the original is nak'ed with a delay instead,
   * so it is never lost. True when the message was dead-lettered.
   */
  send(msg: JsMsg, failure: { reason: DeadLetterReason; error: unknown }): Promise<boolean>;
  /** Messages this process dead-lettered for this consumer. */
  count(): number;
}

/** Dead-letters for one consumer (`consumer`: its durable name) of one stream. */
export function createDeadLetters(options: {
  js: JetStreamClient;
  stream: string;
  consumer: string;
  log: Logger;
}): DeadLetters {
  const { js, stream, consumer, log } = options;
  const subject = deadLetterSubjects.of(stream, consumer);
  let count = 0;

  const publish = (msg: JsMsg, headers: MsgHdrs, payload: Uint8Array) =>
    js.publish(subject, payload, {
      headers,
      // A term lost on the way makes the original come back; the same id keeps that from storing it twice.
      msgID: `${stream}.${consumer}.${msg.info.streamSequence}`,
      expect: { streamName: DEAD_LETTER_STREAM },
    });

  return {
    count: () => count,
    async send(msg, failure) {
      const error = oneLine(describeError(failure.error));
      const facts = {
        stream,
        consumer,
        subject: msg.subject,
        seq: msg.info.streamSequence,
        msgId: msg.headers?.get(MSG_ID_HEADER) || undefined,
        deliveries: msg.info.deliveryCount,
        reason: failure.reason,
        error,
      };
      const headers = deadLetterHeaders(msg, facts);
      let duplicate: boolean;
      try {
        try {
          duplicate = (await publish(msg, headers, msg.data)).duplicate;
        } catch (publishError) {
          if (!isMaxPayloadExceeded(publishError)) throw publishError;
          headers.set(DEAD_LETTER_HEADERS.payloadOmitted, `${msg.data.length} bytes, over max_payload`);
          duplicate = (await publish(msg, headers, new Uint8Array())).duplicate;
        }
      } catch (publishError) {
        log.error(
          { ...facts, err: publishError },
          'message could not be dead-lettered; it is kept and retried later',
        );
        settle(log, () => msg.nak(retryDelayMs(msg.info.deliveryCount)));
        return false;
      }
      // No reason text: servers before 2.11 take "+TERM <reason>" for no ack at all. The dead letter has it.
      settle(log, () => msg.term());
      if (duplicate) {
        log.warn(facts, 'message was already dead-lettered; terminated again');
        return true;
      }
      count += 1;
      log.error(facts, 'message dead-lettered');
      return true;
    },
  };
}

function deadLetterHeaders(
  msg: JsMsg,
  facts: { stream: string; consumer: string; msgId: string | undefined; reason: string; error: string },
): MsgHdrs {
  const headers = createHeaders();
  // The original's own headers, for whoever replays it; JetStream's (Nats-*) would act on this stream.
  for (const key of msg.headers?.keys() ?? []) {
    if (key.toLowerCase().startsWith('nats-')) continue;
    for (const value of msg.headers!.values(key)) headers.append(key, value);
  }
  headers.set(DEAD_LETTER_HEADERS.stream, facts.stream);
  headers.set(DEAD_LETTER_HEADERS.consumer, facts.consumer);
  headers.set(DEAD_LETTER_HEADERS.subject, msg.subject);
  headers.set(DEAD_LETTER_HEADERS.sequence, String(msg.info.streamSequence));
  if (facts.msgId) headers.set(DEAD_LETTER_HEADERS.msgId, oneLine(facts.msgId));
  headers.set(DEAD_LETTER_HEADERS.deliveries, String(msg.info.deliveryCount));
  headers.set(DEAD_LETTER_HEADERS.reason, facts.reason);
  headers.set(DEAD_LETTER_HEADERS.error, facts.error);
  return headers;
}

/** Header values are one line of printable text. */
const oneLine = (text: string) =>
  // eslint-disable-next-line no-control-regex -- control characters are exactly what must go
  text.replace(/[\u0000-\u001f\u007f]+/g, ' ').slice(0, MAX_ERROR_LENGTH);

/**
 * Acks, naks and terms are fire-and-forget and throw only when the connection is already closed; then
 * the server redelivers the message after its ack wait, which is what we would ask for anyway.
 */
export function settle(log: Logger, action: () => void): void {
  try {
    action();
  } catch (error) {
    log.debug({ err: error }, 'could not settle a message; the server will redeliver it');
  }
}
