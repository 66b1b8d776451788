import { AckPolicy, DeliverPolicy, type JetStreamClient, type JetStreamManager, type JsMsg } from 'nats';
import { STREAMS } from '@rolecall/shared/nats';
import { isAppError, toAppError } from '@rolecall/shared/errors';
import type { Logger } from '@rolecall/shared/log';
import type { Outcome } from '../handlers/deps.js';

const CONSUMER_NAME = 'cache';
const NANOS_PER_MS = 1_000_000;

export interface ResultsConsumerOptions {
  js: JetStreamClient;
  jsm: JetStreamManager;
  log: Logger;
  handle: (msg: JsMsg) => Promise<Outcome>;
  /** Messages handled at once by this process. */
  concurrency: number;
  /** How long the server waits for an ack before giving the message to another process. */
  ackWaitMs: number;
}

export interface ResultsConsumer {
  /** Stops taking messages, hands back the ones not started, and waits for those in progress. */
  stop(): Promise<void>;
}

/** Retry delay grows with the number of deliveries, up to half a minute. */
const retryDelayMs = (msg: JsMsg) => Math.min(30_000, 500 * 2 ** Math.min(msg.info.redeliveryCount, 6));

/**
 * The durable pull consumer `cache` on CRAWL_RESULTS, shared by every cache process. Explicit acks,
 * unlimited redeliveries: a crawl result is never dropped because a dependency was down for a while.
 */
export async function startResultsConsumer(options: ResultsConsumerOptions): Promise<ResultsConsumer> {
  const { js, jsm, log, handle, concurrency } = options;
  const config = {
    durable_name: CONSUMER_NAME,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: options.ackWaitMs * NANOS_PER_MS,
    max_deliver: -1,
    max_ack_pending: 1000,
  };
  try {
    await jsm.consumers.info(STREAMS.crawlResults.name, CONSUMER_NAME);
    await jsm.consumers.update(STREAMS.crawlResults.name, CONSUMER_NAME, {
      ack_wait: config.ack_wait,
      max_deliver: config.max_deliver,
      max_ack_pending: config.max_ack_pending,
    });
  } catch (error) {
    if (!/consumer not found/i.test(String((error as Error).message))) throw error;
    try {
      await jsm.consumers.add(STREAMS.crawlResults.name, config);
    } catch (addError) {
      // Another cache process created it first: the same consumer.
      if (!/already (exists|in use)/i.test(String((addError as Error).message))) throw addError;
    }
  }

  const consumer = await js.consumers.get(STREAMS.crawlResults.name, CONSUMER_NAME);
  const messages = await consumer.consume({ max_messages: concurrency });
  const inFlight = new Set<Promise<void>>();
  let stopping = false;

  const process = async (msg: JsMsg) => {
    try {
      const outcome = await handle(msg);
      if (outcome.kind === 'ack') msg.ack();
      else {
        log.debug({ subject: msg.subject, reason: outcome.reason }, 'message retried later');
        msg.nak(outcome.delayMs);
      }
    } catch (caught) {
      const error = toAppError(caught);
      // Errors we did not classify are most likely a dependency hiccup; retrying loses nothing.
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

  const loop = (async () => {
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

  return {
    async stop() {
      stopping = true;
      messages.stop();
      await loop;
      await Promise.allSettled([...inFlight]);
    },
  };
}
