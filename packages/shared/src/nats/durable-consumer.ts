import { AckPolicy, DeliverPolicy, type JetStreamClient, type JetStreamManager, type JsMsg } from 'nats';
import { isAppError, toAppError } from '../errors/index.js';
import type { Logger } from '../log/index.js';

const NANOS_PER_MS = 1_000_000;

/** What to do with a message after handling it. Waiting for other messages is a value, not an error. */
export type DeliveryOutcome = { kind: 'ack' } | { kind: 'retry'; delayMs: number; reason: string };

export interface DurableConsumerOptions {
  js: JetStreamClient;
  jsm: JetStreamManager;
  stream: string;
  durable: string;
  filterSubject?: string;
  /** Where a new consumer starts: `new` for work that a full build covers, `all` for a complete record. */
  deliver: 'new' | 'all';
  /** Messages this process handles at once. 1 with maxAckPending 1 gives strict stream order. */
  concurrency: number;
  /** Unacknowledged messages the server hands out across every process; defaults to `concurrency`. */
  maxAckPending?: number;
  /** How long the server waits for an ack before giving the message to another process. */
  ackWaitMs: number;
  log: Logger;
  /** Returning nothing acks; a `retry` outcome naks with its delay; a throw is classified (see below). */
  handle: (msg: JsMsg) => Promise<DeliveryOutcome | void>;
}

export interface DurableConsumer {
  /** Creates the consumer (or updates it), so messages from now on are kept; call before `start`. */
  ensure(): Promise<void>;
  start(): Promise<void>;
  /** Stops taking messages, hands back those not started, and waits for those in progress. */
  stop(): Promise<void>;
}

/** Retry delay grows with the number of deliveries, up to half a minute. */
const retryDelayMs = (msg: JsMsg) => Math.min(30_000, 500 * 2 ** Math.min(msg.info.redeliveryCount, 6));

/**
 * A durable pull consumer shared by every copy of a service: explicit acks and unlimited redeliveries,
 * so work is never dropped because a dependency was down for a while. Retryable failures (and errors
 * nobody classified, most likely a dependency hiccup) are nak'ed with a growing delay; AppErrors that can
 * never succeed are terminated and logged. Never acks a failure.
 */
export function createDurableConsumer(options: DurableConsumerOptions): DurableConsumer {
  const { js, jsm, log, concurrency } = options;
  let stopping = false;
  let loop: Promise<void> | undefined;
  let stopMessages: (() => void) | undefined;
  const inFlight = new Set<Promise<void>>();

  const process = async (msg: JsMsg) => {
    try {
      const outcome = await options.handle(msg);
      if (!outcome || outcome.kind === 'ack') msg.ack();
      else {
        log.debug({ subject: msg.subject, reason: outcome.reason }, 'message retried later');
        msg.nak(outcome.delayMs);
      }
    } catch (caught) {
      const error = toAppError(caught);
      if (!isAppError(caught) || error.retryable) {
        log.warn(
          { err: caught, subject: msg.subject, deliveries: msg.info.redeliveryCount },
          'message failed; will retry',
        );
        msg.nak(retryDelayMs(msg));
      } else {
        log.error({ err: caught, subject: msg.subject, code: error.code }, 'message rejected');
        msg.term(`${error.code}: ${error.message}`);
      }
    }
  };

  return {
    async ensure() {
      const settings = {
        ack_wait: options.ackWaitMs * NANOS_PER_MS,
        max_deliver: -1,
        max_ack_pending: options.maxAckPending ?? concurrency,
      };
      try {
        await jsm.consumers.info(options.stream, options.durable);
        await jsm.consumers.update(options.stream, options.durable, settings);
      } catch (error) {
        if (!/consumer not found/i.test(String((error as Error).message))) throw error;
        try {
          await jsm.consumers.add(options.stream, {
            ...settings,
            durable_name: options.durable,
            ack_policy: AckPolicy.Explicit,
            deliver_policy: options.deliver === 'new' ? DeliverPolicy.New : DeliverPolicy.All,
            ...(options.filterSubject ? { filter_subject: options.filterSubject } : {}),
          });
        } catch (addError) {
          // Another process created it first: the same consumer.
          if (!/already (exists|in use)/i.test(String((addError as Error).message))) throw addError;
        }
      }
    },
    async start() {
      const consumer = await js.consumers.get(options.stream, options.durable);
      const messages = await consumer.consume({ max_messages: Math.max(1, concurrency) });
      stopMessages = () => messages.stop();
      loop = (async () => {
        for await (const msg of messages) {
          if (stopping) {
            msg.nak();
            continue;
          }
          const task = process(msg).finally(() => inFlight.delete(task));
          inFlight.add(task);
          if (inFlight.size >= concurrency) await Promise.race(inFlight);
        }
      })();
    },
    async stop() {
      stopping = true;
      stopMessages?.();
      await loop;
      await Promise.allSettled([...inFlight]);
    },
  };
}
