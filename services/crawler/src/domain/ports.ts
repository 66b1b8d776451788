import type { JsMsg } from '@nats-io/jetstream';
import type {
  AwsAccount,
  CrawlCompletion,
  CrawledItem,
  CrawlJob,
  CrawlStart,
  CrawlType,
} from '@rolecall/shared/contracts';
import type { AccountsDiscovery, ResourceBatch } from '@rolecall/shared/contracts';
import type { DeliveryOutcome } from '@rolecall/shared/nats';

/** Where the list of accounts comes from: static config, AWS Organizations or the current account. */
export interface AccountSource {
  readonly kind: AccountsDiscovery['source'];
  listAccounts(): Promise<AwsAccount[]>;
}

/** The account one crawl job covers. */
export interface CrawlTarget {
  accountId: string;
  accountName: string;
}

/**
 * Crawls one resource type in one account. Yields items as AWS pages arrive so that a large account is
 * never held whole in memory; throws an AppError when the account cannot be crawled.
 */
export type Crawler = (target: CrawlTarget, signal: AbortSignal) => AsyncIterable<CrawledItem>;

export type Crawlers = Readonly<Record<CrawlType, Crawler>>;

/** Publishes a crawl's progress to the results stream, in order. */
export interface CrawlResultPublisher {
  started(start: CrawlStart): Promise<void>;
  batch(batch: ResourceBatch): Promise<void>;
  completed(completion: CrawlCompletion): Promise<void>;
}

export interface DiscoveryPublisher {
  publish(discovery: AccountsDiscovery): Promise<void>;
}

export type EnqueueResult = { state: 'queued' | 'already_queued'; jobId: string };

/** The crawl work queue; refuses a second job for an (account, type) that is waiting or running. */
export interface JobQueue {
  enqueue(job: CrawlJob): Promise<EnqueueResult>;
}

/** Schedule slots, each claimed by one crawler process so a scheduled crawl is enqueued once. */
export interface ScheduleClaims {
  /** Claims a slot for this process; true for exactly one claimant per key. */
  claim(key: string): Promise<boolean>;
  /** Gives a claimed slot back, so a fan-out that failed is retried by whoever ticks next. */
  release(key: string): Promise<void>;
}

/**
 * One lease per running job, across every crawler process. JetStream hands a job out again when its
 * progress acknowledgements stop reaching the server (a NATS node dies, a network pause): the lease keeps
 * the second copy from running while the first one still does.
 */
export interface JobLeases {
  /**
   * Takes the job's lease: held, or how long until another process's live lease lapses (unless renewed).
   * A lease not renewed for a whole lifetime counts as lapsed even before the store removes it.
   */
  acquire(jobId: string): Promise<{ held: true } | { held: false; lapsesInMs: number }>;
  /** Keeps the lease alive; false when it was lost (it lapsed and another process took it). */
  renew(jobId: string): Promise<boolean>;
  /** Gives the lease back if this process still holds it. */
  release(jobId: string): Promise<void>;
}

/** Handles one delivered job: nothing acks it; `retry` puts it back (on shutdown); a throw is a failed attempt. */
export type JobHandler = (msg: JsMsg, signal: AbortSignal) => Promise<DeliveryOutcome | void>;

/** Takes jobs off the crawl work queue and runs each with a JobHandler. */
export interface JobConsumer {
  start(): Promise<void>;
  /** Stops pulling, abandons running jobs (their handler puts them back) and waits for the workers. */
  stop(): Promise<void>;
  /** Jobs this process sent to the dead-letter stream. */
  deadLettered(): number;
}
