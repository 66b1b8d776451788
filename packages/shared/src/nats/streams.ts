import { setTimeout as sleep } from 'node:timers/promises';
import {
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { brokerStreams } from '../contracts/broker.js';
import { cacheStreams } from '../contracts/cache.js';
import { configStreams } from '../contracts/config.js';
import { crawlerStreams } from '../contracts/crawler.js';
import { requestsStreams } from '../contracts/requests.js';
import { defineStream, type StreamDefinition } from '../contracts/event.js';
import type { Logger } from '../log/index.js';
import { natsUnavailable } from './connection-state.js';
import { DEAD_LETTER_STREAM, deadLetterSubjects } from './dead-letters.js';
import { isStreamAlreadyCreated, isStreamNotFound, jetStreamErrorCode } from './jetstream-errors.js';

const NANOS_PER_SECOND = 1_000_000_000;

/**
 * Messages a consumer gave up on (see `createDurableConsumer`), on `deadletter.<stream>.<consumer>`: the
 * original payload with headers naming where it came from, how often it was tried and the last error.
 * Kept for a month to inspect and replay; the stream's message count is the durable tally.
 *
 * No one service owns it: every service that runs a durable consumer (crawler, cache, broker) ensures it
 * with its own streams, so a consumer never depends on another service having started to be able to
 * put a message aside. The definition is the same everywhere, so that is idempotent.
 */
export const deadLetterStream = defineStream({
  name: DEAD_LETTER_STREAM,
  owner: 'every service with a durable consumer',
  subjects: [deadLetterSubjects.all],
  retention: 'limits',
  maxAgeSeconds: 30 * 24 * 3600,
  // Covers a term lost on the way: the original comes back within its ack wait and is stored once.
  duplicateWindowSeconds: 120,
});

/**
 * Every JetStream stream Rolecall uses, by name in code. Each is created by its owner only (see the
 * owners' contracts); this list is for tests and tools that need them all, and for naming an owner.
 */
export const STREAMS = {
  ...crawlerStreams,
  ...cacheStreams,
  ...brokerStreams,
  ...configStreams,
  requestEvents: requestsStreams.events,
  deadLetters: deadLetterStream,
} as const satisfies Record<string, StreamDefinition>;

export const KV_BUCKETS = {
  /** Claims for schedule slots, so that only one crawler process enqueues each scheduled crawl. */
  crawlSchedule: 'crawl_schedule',
  /** A lease per running crawl job, so that a job handed out twice (a lost acknowledgement) runs once at a time. */
  crawlLeases: 'crawl_leases',
} as const;

/** The stream's configuration for the server, file-backed with `replicas` copies. */
export function toStreamConfig(
  stream: StreamDefinition,
  replicas = 1,
): Partial<StreamConfig> & { name: string } {
  return {
    name: stream.name,
    subjects: [...stream.subjects],
    retention: stream.retention === 'workqueue' ? RetentionPolicy.Workqueue : RetentionPolicy.Limits,
    storage: StorageType.File,
    num_replicas: replicas,
    duplicate_window: stream.duplicateWindowSeconds * NANOS_PER_SECOND,
    ...(stream.maxAgeSeconds === undefined ? {} : { max_age: stream.maxAgeSeconds * NANOS_PER_SECOND }),
    ...(stream.maxMessagesPerSubject === undefined
      ? {}
      : { max_msgs_per_subject: stream.maxMessagesPerSubject }),
    ...(stream.refuseNewPerSubject ? { discard: DiscardPolicy.New, discard_new_per_subject: true } : {}),
  };
}

/** How long a service's start waits for a clustered JetStream to answer its stream calls. */
const STREAMS_ANSWER_WITHIN_MS = 60_000;
const STREAMS_RETRY_MS = 1_000;
/** JSClusterNotAvailErr: a clustered JetStream without a meta leader yet (starting, or electing one). */
const CLUSTER_NOT_AVAILABLE = 10008;

/**
 * A JetStream API call that got no answer in time, or was told the cluster has no leader yet. On a
 * cluster that is electing (at its start, or after a node died) the call is asked again; the create or
 * update may have been applied anyway, which the next `info` then shows.
 */
const isTransient = (error: unknown) =>
  (error instanceof Error && error.name === 'TimeoutError') ||
  jetStreamErrorCode(error) === CLUSTER_NOT_AVAILABLE;

/**
 * Creates the given streams, or brings an existing one to its definition. A service calls it once at
 * its start with the streams it owns (and the dead-letter stream, if it runs durable consumers). While a
 * clustered JetStream does not answer yet (see `isTransient`) each stream is tried again, up to a minute.
 */
export async function ensureStreams(
  jsm: JetStreamManager,
  streams: readonly StreamDefinition[],
  options: { replicas?: number; log?: Logger } = {},
): Promise<void> {
  for (const stream of streams) {
    const config = toStreamConfig(stream, options.replicas ?? 1);
    const deadline = Date.now() + STREAMS_ANSWER_WITHIN_MS;
    for (;;) {
      try {
        await ensureStream(jsm, config);
        break;
      } catch (error) {
        if (!isTransient(error) || Date.now() > deadline) throw error;
        options.log?.warn({ stream: stream.name, err: error }, 'JetStream did not answer; asking again');
        await sleep(STREAMS_RETRY_MS);
      }
    }
  }
}

async function ensureStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }) {
  try {
    await jsm.streams.info(config.name);
    await jsm.streams.update(config.name, config);
  } catch (error) {
    if (!isStreamNotFound(error)) throw error;
    try {
      await jsm.streams.add(config);
    } catch (addError) {
      // Another process created it between our info and add: that is the same stream.
      if (!isStreamAlreadyCreated(addError)) throw addError;
    }
  }
}

/** Every stream, as all the services together would create them: for tests and tools (the demo seed). */
export async function ensureAllStreams(jsm: JetStreamManager, replicas = 1): Promise<void> {
  await ensureStreams(jsm, Object.values(STREAMS), { replicas });
}

/** Who creates a stream, for the line a consumer logs while it waits for one. */
export const streamOwner = (name: string): string =>
  Object.values(STREAMS).find((s) => s.name === name)?.owner ?? 'its owner';

const STREAM_WAIT_MS = 1_000;
/** While waiting, the log line is repeated this often, so a stuck start-up stays visible. */
const STREAM_WAIT_REMINDER_MS = 30_000;

/**
 * Runs `attempt` (a consumer's creation on another owner's stream) until it no longer fails because the
 * stream does not exist yet: a service that starts before the owner waits for it, saying so, instead of
 * crashing. Any other failure is thrown. Stops waiting when `signal` is aborted (throws its reason) or
 * `isClosed()` says the connection is gone.
 */
export async function whenStreamExists<T>(
  stream: string,
  attempt: () => Promise<T>,
  options: { log: Logger; signal?: AbortSignal; isClosed?: () => boolean; retryMs?: number },
): Promise<T> {
  const { log, signal } = options;
  const retryMs = options.retryMs ?? STREAM_WAIT_MS;
  const since = Date.now();
  let remindAt = 0;
  for (;;) {
    try {
      const result = await attempt();
      if (remindAt > 0) {
        log.info({ stream, waitedMs: Date.now() - since }, `stream ${stream} exists now; going on`);
      }
      return result;
    } catch (error) {
      if (!isStreamNotFound(error)) throw error;
      if (Date.now() >= remindAt) {
        log.warn(
          { stream, owner: streamOwner(stream), waitedMs: Date.now() - since },
          `stream ${stream} does not exist yet; waiting for ${streamOwner(stream)} to create it at its start`,
        );
        remindAt = Date.now() + STREAM_WAIT_REMINDER_MS;
      }
    }
    if (options.isClosed?.()) throw natsUnavailable(`waiting for stream ${stream}`);
    await sleep(retryMs, undefined, signal ? { signal } : {});
  }
}
