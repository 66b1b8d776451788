import { DiscardPolicy, RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig } from 'nats';
import { cacheSubjects } from '../contracts/cache.js';
import { crawlerSubjects } from '../contracts/crawler.js';
import { DEAD_LETTER_STREAM, deadLetterSubjects } from './dead-letters.js';
import { isStreamAlreadyCreated, isStreamNotFound } from './jetstream-errors.js';

const SECOND_NS = 1_000_000_000;
const nanos = (seconds: number) => seconds * SECOND_NS;

/**
 * Every JetStream stream Rolecall uses. Whoever starts first creates them; the definitions are the
 * same in every service so `ensureStreams` is idempotent.
 */
export const STREAMS = {
  /**
   * The crawl work queue. At most one message per (type, account) subject, and a new one is refused
   * while it exists: a job for an account and type is never waiting or running twice.
   */
  crawlJobs: {
    name: 'CRAWL_JOBS',
    subjects: [crawlerSubjects.jobQueuedAll],
    retention: RetentionPolicy.Workqueue,
    max_msgs_per_subject: 1,
    discard: DiscardPolicy.New,
    discard_new_per_subject: true,
    duplicate_window: nanos(120),
  },
  /** Crawl output (started, batches, completions, account discoveries) for the cache service. */
  crawlResults: {
    name: 'CRAWL_RESULTS',
    subjects: [crawlerSubjects.resultsAll],
    retention: RetentionPolicy.Limits,
    max_age: nanos(24 * 3600),
    duplicate_window: nanos(600),
  },
  /** Created/updated/deleted events for any subscriber. Deduplicated by message id for an hour. */
  resourceChanges: {
    name: 'RESOURCE_CHANGES',
    subjects: [cacheSubjects.resourceChangedAll],
    retention: RetentionPolicy.Limits,
    max_age: nanos(7 * 24 * 3600),
    duplicate_window: nanos(3600),
  },
  /**
   * Credential issuance, refusal and failure audit events; the broker persists them to DynamoDB. Only
   * the event subjects: a stream on `broker.audit.>` would also capture the `broker.audit.query`
   * requests and answer them with a publish ack before the broker could.
   */
  audit: {
    name: 'AUDIT',
    subjects: ['broker.audit.credentials.>'],
    retention: RetentionPolicy.Limits,
    max_age: nanos(30 * 24 * 3600),
    duplicate_window: nanos(3600),
  },
  /** Dynamic configuration saved: every service reloads it from DynamoDB. */
  configChanges: {
    name: 'CONFIG_CHANGES',
    subjects: ['config.dynamic.>'],
    retention: RetentionPolicy.Limits,
    max_age: nanos(7 * 24 * 3600),
    duplicate_window: nanos(600),
  },
  /**
   * Messages a consumer gave up on (see `createDurableConsumer`), on `deadletter.<stream>.<consumer>`:
   * the original payload with headers naming where it came from, how often it was tried and the last
   * error. Kept for a month to inspect and replay; the stream's message count is the durable tally.
   */
  deadLetters: {
    name: DEAD_LETTER_STREAM,
    subjects: [deadLetterSubjects.all],
    retention: RetentionPolicy.Limits,
    max_age: nanos(30 * 24 * 3600),
    // Covers a term lost on the way: the original comes back within its ack wait and is stored once.
    duplicate_window: nanos(120),
  },
} as const satisfies Record<string, Partial<StreamConfig> & { name: string; subjects: string[] }>;

export const KV_BUCKETS = {
  /** Claims for schedule slots, so that only one crawler process enqueues each scheduled crawl. */
  crawlSchedule: 'crawl_schedule',
} as const;

export async function ensureStreams(jsm: JetStreamManager, replicas = 1): Promise<void> {
  for (const stream of Object.values(STREAMS)) {
    const config: Partial<StreamConfig> = { ...stream, storage: StorageType.File, num_replicas: replicas };
    try {
      await jsm.streams.info(stream.name);
      await jsm.streams.update(stream.name, config);
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
}
