import { isAppError, toAppError } from '@rolecall/shared/errors';
import type { Logger } from '@rolecall/shared/log';
import { AckPolicy, DeliverPolicy, type JetStreamClient, type JetStreamManager, type JsMsg } from 'nats';

const NANOS_PER_MS = 1_000_000;

export interface DurableConsumerOptions {
  js: JetStreamClient;
  jsm: JetStreamManager;
  stream: string;
  durable: string;
  filterSubject: string;
  /** Where a new consumer starts: `new` for work that a full build covers, `all` for a complete record. */
  deliver: 'new' | 'all';
  /** 1 gives strict stream order across every process sharing the consumer. */
  maxAckPending: number;
  ackWaitMs: number;
  log: Logger;
  handle: (msg: JsMsg) => Promise<void>;
}

export interface DurableConsumer {
  /** Creates the consumer (or finds it), so events from now on are kept; call before `start`. */
  ensure(): Promise<void>;
  start(): Promise<void>;
  /** Stops taking messages and waits for those in progress. */
  stop(): Promise<void>;
}

const retryDelayMs = (msg: JsMsg) => Math.min(30_000, 500 * 2 ** Math.min(msg.info.redeliveryCount, 6));

/**
 * A durable pull consumer shared by every broker copy: explicit acks, unlimited redeliveries with
 * growing delays for retryable failures, `term` (and an error log) for messages that can never succeed.
 */
export function createDurableConsumer(options: DurableConsumerOptions): DurableConsumer {
  const { js, jsm, log } = options;
  let stopping = false;
  let loop: Promise<void> | undefined;
  let stopMessages: (() => void) | undefined;
  const inFlight = new Set<Promise<void>>();

  const process = async (msg: JsMsg) => {
    try {
      await options.handle(msg);
      msg.ack();
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
      const config = {
        durable_name: options.durable,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: options.deliver === 'new' ? DeliverPolicy.New : DeliverPolicy.All,
        filter_subject: options.filterSubject,
        ack_wait: options.ackWaitMs * NANOS_PER_MS,
        max_deliver: -1,
        max_ack_pending: options.maxAckPending,
      };
      try {
        await jsm.consumers.info(options.stream, options.durable);
      } catch (error) {
        if (!/consumer not found/i.test(String((error as Error).message))) throw error;
        try {
          await jsm.consumers.add(options.stream, config);
        } catch (addError) {
          if (!/already (exists|in use)/i.test(String((addError as Error).message))) throw addError;
        }
      }
    },
    async start() {
      const consumer = await js.consumers.get(options.stream, options.durable);
      const messages = await consumer.consume({ max_messages: Math.max(1, options.maxAckPending) });
      stopMessages = () => messages.stop();
      loop = (async () => {
        for await (const msg of messages) {
          if (stopping) {
            msg.nak();
            continue;
          }
          const task = process(msg).finally(() => inFlight.delete(task));
          inFlight.add(task);
          if (inFlight.size >= options.maxAckPending) await Promise.race(inFlight);
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
