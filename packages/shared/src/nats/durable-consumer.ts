import { setTimeout as sleep } from 'node:timers/promises';
import {
  AckPolicy,
  DeliverPolicy,
  type Consumer,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import type { Logger } from '../log/index.js';
import { metrics, onScrape } from '../metrics/index.js';
import { SpanKind } from '@opentelemetry/api';
import { handleIncoming } from '../tracing/spans.js';
import { createDeadLetters, settle } from './dead-letters.js';
import {
  DEFAULT_ACK_WAIT_MS,
  DEFAULT_MAX_DELIVERIES,
  DEFAULT_MAX_WAIT_MS,
  decideAfterFailure,
  heartbeatIntervalMs,
  isWithinDeliveryBound,
} from './delivery-policy.js';
import { isConsumerAlreadyCreated, isConsumerNotFound } from './jetstream-errors.js';
import { whenStreamExists } from './streams.js';

const NANOS_PER_MS = 1_000_000;
/** How long one pull waits for messages; a message that arrives meanwhile is handed over at once. */
const PULL_EXPIRES_MS = 5_000;
const PULL_RETRY_MS = 1_000;

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
  /**
   * How long the server waits without an ack or a progress ack before it gives the message to another
   * process (default 5 s): how soon the messages of a process that died are handled again. A message
   * being handled gets progress acks every `heartbeatMs`, so it is never redelivered while alive.
   */
  ackWaitMs?: number;
  /** Progress-ack interval while a message is handled or waits; defaults to 40 % of the ack wait. */
  heartbeatMs?: number;
  /**
   * Deliveries before a failing message goes to the dead-letter stream (default 10, with delays growing
   * from 1 s to 30 s between them). A non-retryable AppError goes there at once.
   */
  maxDeliveries?: number;
  /** How long a message may keep answering `retry` before it is dead-lettered (default 10 min). */
  maxWaitMs?: number;
  log: Logger;
  /**
   * Returning nothing acks; a `retry` outcome waits its delay and handles the message again; a throw is
   * classified (see below). `signal` is aborted when the consumer stops: a handler that would rather
   * abandon long work than finish it returns `retry` then, and the message goes back to the stream.
   */
  handle: (msg: JsMsg, signal: AbortSignal) => Promise<DeliveryOutcome | void>;
}

export interface DurableConsumer {
  /**
   * Creates the consumer (or updates it), so messages from now on are kept; call before `start`. While
   * the stream does not exist (its owner has not started yet) it waits, logging that it does.
   */
  ensure(): Promise<void>;
  start(): Promise<void>;
  /** Stops taking messages, hands back those waiting, and waits for those in progress. */
  stop(): Promise<void>;
  /** Messages this process sent to the dead-letter stream since it started. */
  deadLettered(): number;
}

/**
 * A durable pull consumer shared by every copy of a service, with explicit acks. Retryable failures (and
 * errors nobody classified, most likely a dependency hiccup) are nak'ed with a growing delay, up to
 * `maxDeliveries` deliveries; then the message, like one that failed with a non-retryable AppError, is
 * copied to the dead-letter stream (DEAD_LETTERS) and terminated, and logged without its payload. Never
 * acks a failure, and never terminates a message before its dead letter is stored.
 *
 * The server's own `max_deliver` stays unlimited: it would stop redelivering without telling anyone, and
 * on a work queue the message would then block its subject. The bound is kept here instead, where the
 * last failure can still be dead-lettered.
 */
export function createDurableConsumer(options: DurableConsumerOptions): DurableConsumer {
  const { js, jsm, log, concurrency } = options;
  const ackWaitMs = options.ackWaitMs ?? DEFAULT_ACK_WAIT_MS;
  const heartbeatMs = options.heartbeatMs ?? heartbeatIntervalMs(ackWaitMs);
  const maxDeliveries = options.maxDeliveries ?? DEFAULT_MAX_DELIVERIES;
  const maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
  if (!Number.isInteger(maxDeliveries) || maxDeliveries < 1) {
    throw new RangeError(`maxDeliveries must be a whole number of at least 1, not ${maxDeliveries}`);
  }
  if (heartbeatMs >= ackWaitMs) throw new RangeError('heartbeatMs must be shorter than ackWaitMs');
  const deadLetters = createDeadLetters({ js, stream: options.stream, consumer: options.durable, log });
  const slots = createSlots(Math.max(1, concurrency));
  const abort = new AbortController();
  const tasks = new Set<Promise<void>>();
  let pulling: ConsumerMessages | undefined;
  let loop: Promise<void> | undefined;
  let stopLagMetric: (() => void) | undefined;

  const failed = async (msg: JsMsg, caught: unknown) => {
    const deliveries = msg.info.deliveryCount;
    const decision = decideAfterFailure({ error: caught, deliveries, maxDeliveries });
    if (decision.kind === 'dead-letter') {
      await deadLetters.send(msg, { reason: decision.reason, error: caught });
      return;
    }
    log.warn(
      { err: caught, subject: msg.subject, seq: msg.info.streamSequence, deliveries, maxDeliveries },
      'message failed; will retry',
    );
    settle(log, () => msg.nak(decision.delayMs));
  };

  const span = {
    name: `jetstream consume ${options.stream}/${options.durable}`,
    options: {
      kind: SpanKind.CONSUMER,
      attributes: { 'messaging.system': 'nats', 'messaging.destination.name': options.stream },
    },
  };
  /**
   * Handles one delivery under the request id and trace context its publisher gave it (an audit record
   * written while a credential request was handled logs under that request's id).
   */
  const run = (msg: JsMsg) => handleIncoming(msg.headers, span, () => runDelivery(msg));

  /** Handles one delivery to its end; holds one slot except while it waits. */
  const runDelivery = async (msg: JsMsg) => {
    const heartbeat = setInterval(() => settle(log, () => msg.working()), heartbeatMs);
    const since = Date.now();
    try {
      const deliveries = msg.info.deliveryCount;
      if (!isWithinDeliveryBound(deliveries, maxDeliveries)) {
        await deadLetters.send(msg, {
          reason: 'abandoned',
          error: `delivered ${deliveries} times (at most ${maxDeliveries}); earlier deliveries never ended`,
        });
        return;
      }
      for (;;) {
        let outcome: DeliveryOutcome | void;
        try {
          outcome = await options.handle(msg, abort.signal);
        } catch (caught) {
          await failed(msg, caught);
          return;
        }
        if (!outcome || outcome.kind === 'ack') {
          settle(log, () => msg.ack());
          return;
        }
        if (abort.signal.aborted) {
          settle(log, () => msg.nak(outcome.delayMs));
          return;
        }
        if (Date.now() - since + outcome.delayMs > maxWaitMs) {
          await deadLetters.send(msg, {
            reason: 'stalled',
            error: `still waiting after ${Math.round((Date.now() - since) / 1000)} s: ${outcome.reason}`,
          });
          return;
        }
        log.debug({ subject: msg.subject, reason: outcome.reason }, 'message handled again later');
        // Kept (with progress acks) rather than nak'ed, so waiting never counts as a failed delivery;
        // its slot is free meanwhile, so waiters never keep the messages they wait for from a slot.
        slots.release();
        await sleep(outcome.delayMs, undefined, { signal: abort.signal }).catch(() => undefined);
        slots.take();
        if (abort.signal.aborted) {
          settle(log, () => msg.nak(outcome.delayMs));
          return;
        }
      }
    } finally {
      clearInterval(heartbeat);
      slots.release();
    }
  };

  /**
   * Pulls only as many messages as there are free slots: a message fetched is handled (and kept alive)
   * at once, never left in a buffer where its short ack wait would run out.
   */
  const pull = async (consumer: Consumer) => {
    while (!abort.signal.aborted) {
      await slots.acquire();
      if (abort.signal.aborted) {
        slots.release();
        return;
      }
      let wanted = 1;
      while (slots.tryAcquire()) wanted += 1;
      let received = 0;
      try {
        pulling = await consumer.fetch({ max_messages: wanted, expires: PULL_EXPIRES_MS });
        if (abort.signal.aborted) pulling.stop();
        for await (const msg of pulling) {
          received += 1;
          if (abort.signal.aborted) {
            settle(log, () => msg.nak());
            slots.release();
            continue;
          }
          const task = run(msg)
            .catch((error: unknown) =>
              log.error(
                { err: error, subject: msg.subject },
                'handling a message broke; it comes back later',
              ),
            )
            .finally(() => tasks.delete(task));
          tasks.add(task);
        }
      } catch (error) {
        if (!abort.signal.aborted) {
          log.warn(
            { err: error, stream: options.stream, consumer: options.durable },
            'pull failed; retrying',
          );
          await sleep(PULL_RETRY_MS, undefined, { signal: abort.signal }).catch(() => undefined);
        }
      } finally {
        pulling = undefined;
        for (; received < wanted; received += 1) slots.release();
      }
    }
  };

  return {
    async ensure() {
      const settings = {
        ack_wait: ackWaitMs * NANOS_PER_MS,
        max_deliver: -1,
        max_ack_pending: options.maxAckPending ?? concurrency,
      };
      const createOrUpdate = async () => {
        try {
          await jsm.consumers.info(options.stream, options.durable);
          await jsm.consumers.update(options.stream, options.durable, settings);
          return;
        } catch (error) {
          if (!isConsumerNotFound(error)) throw error;
        }
        try {
          await jsm.consumers.add(options.stream, {
            ...settings,
            durable_name: options.durable,
            ack_policy: AckPolicy.Explicit,
            deliver_policy: options.deliver === 'new' ? DeliverPolicy.New : DeliverPolicy.All,
            ...(options.filterSubject ? { filter_subject: options.filterSubject } : {}),
          });
        } catch (addError) {
          // Another process created it first: the same consumer, perhaps with an older configuration.
          if (!isConsumerAlreadyCreated(addError)) throw addError;
          await jsm.consumers.update(options.stream, options.durable, settings);
        }
      };
      // The stream may be another service's that has not started yet: wait for it (logged), not crash.
      // Stopped meanwhile: nothing to consume, and `start` does nothing.
      await whenStreamExists(options.stream, createOrUpdate, { log, signal: abort.signal }).catch(
        (error: unknown) => {
          if (!abort.signal.aborted) throw error;
        },
      );
    },
    async start() {
      if (abort.signal.aborted) return;
      const consumer = await js.consumers.get(options.stream, options.durable);
      loop = pull(consumer);
      // The consumer's lag is read from the server when Prometheus scrapes, not polled.
      stopLagMetric = onScrape(async () => {
        const info = await jsm.consumers.info(options.stream, options.durable);
        metrics.consumerPending.set({ stream: options.stream, consumer: options.durable }, info.num_pending);
      });
    },
    async stop() {
      stopLagMetric?.();
      abort.abort();
      pulling?.stop();
      await loop;
      await Promise.allSettled([...tasks]);
    },
    deadLettered: () => deadLetters.count(),
  };
}

/** Counts free handling slots; `take` may overdraw (a waiting message coming back), `acquire` waits. */
function createSlots(size: number) {
  let free = size;
  const waiters: (() => void)[] = [];
  return {
    async acquire(): Promise<void> {
      if (free > 0) {
        free -= 1;
        return;
      }
      await new Promise<void>((resolve) => waiters.push(resolve));
    },
    tryAcquire(): boolean {
      if (free <= 0) return false;
      free -= 1;
      return true;
    },
    take(): void {
      free -= 1;
    },
    release(): void {
      free += 1;
      if (free > 0 && waiters.length > 0) {
        free -= 1;
        waiters.shift()!();
      }
    },
  };
}
