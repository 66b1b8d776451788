import { Type, type Static } from 'typebox';
import { defineMessage } from './envelope.js';
import { defineEvent, defineStream } from './event.js';
import { defineOperation } from './operation.js';
import { AccountId, AwsAccount, CrawledItem, CrawlType } from './resources.js';

/** Subjects owned by services/crawler. Only these functions build them. */
export const crawlerSubjects = {
  /** JetStream work queue: one message per (crawl type, account) waiting or running. */
  jobQueued: (crawlType: CrawlType, accountId: string) => `crawler.job.queued.${crawlType}.${accountId}`,
  jobQueuedAll: 'crawler.job.queued.>',
  started: (crawlType: CrawlType, accountId: string) => `crawler.result.started.${crawlType}.${accountId}`,
  batch: (crawlType: CrawlType, accountId: string) => `crawler.result.batch.${crawlType}.${accountId}`,
  completed: (crawlType: CrawlType, accountId: string) =>
    `crawler.result.completed.${crawlType}.${accountId}`,
  accountsDiscovered: 'crawler.result.accounts.discovered',
  resultsAll: 'crawler.result.>',
  /** Request/reply: start an on-demand crawl. */
  startCrawl: 'crawler.crawl.start',
} as const;

export const CrawlTrigger = Type.Union([Type.Literal('schedule'), Type.Literal('demand')]);

export const CrawlJob = Type.Object({
  jobId: Type.String(),
  crawlId: Type.String({ description: 'Groups the jobs started by one schedule tick or refresh request' }),
  accountId: AccountId,
  accountName: Type.String(),
  crawlType: CrawlType,
  trigger: CrawlTrigger,
  requestedBy: Type.String(),
  queuedAt: Type.String({ format: 'date-time' }),
});
export type CrawlJob = Static<typeof CrawlJob>;
export const CrawlJobQueued = defineMessage('crawler.job.queued', 1, CrawlJob);

const JobRef = {
  jobId: Type.String(),
  crawlId: Type.String(),
  accountId: AccountId,
  crawlType: CrawlType,
  startedAt: Type.String({ format: 'date-time' }),
};

export const CrawlStart = Type.Object(JobRef);
export type CrawlStart = Static<typeof CrawlStart>;
export const CrawlStarted = defineMessage('crawler.result.started', 1, CrawlStart);

export const ResourceBatch = Type.Object({
  ...JobRef,
  /** 0-based; the completion message says how many batches there were. */
  seq: Type.Integer({ minimum: 0 }),
  items: Type.Array(CrawledItem),
});
export type ResourceBatch = Static<typeof ResourceBatch>;
export const ResourceBatchCrawled = defineMessage('crawler.result.batch', 1, ResourceBatch);

export const CrawlError = Type.Object({ code: Type.String(), message: Type.String() });

export const CrawlCompletion = Type.Object({
  ...JobRef,
  finishedAt: Type.String({ format: 'date-time' }),
  /** Only a succeeded crawl is complete; a failed one deletes nothing. */
  status: Type.Union([Type.Literal('succeeded'), Type.Literal('failed')]),
  batchCount: Type.Integer({ minimum: 0 }),
  itemCount: Type.Integer({ minimum: 0 }),
  error: Type.Optional(CrawlError),
});
export type CrawlCompletion = Static<typeof CrawlCompletion>;
export const CrawlCompleted = defineMessage('crawler.result.completed', 1, CrawlCompletion);

export const AccountsDiscovery = Type.Object({
  discoveryId: Type.String(),
  source: Type.Union([Type.Literal('static'), Type.Literal('organizations'), Type.Literal('current')]),
  discoveredAt: Type.String({ format: 'date-time' }),
  accounts: Type.Array(AwsAccount),
});
export type AccountsDiscovery = Static<typeof AccountsDiscovery>;
export const AccountsDiscovered = defineMessage('crawler.result.accounts.discovered', 1, AccountsDiscovery);

export const StartCrawlRequest = Type.Object(
  {
    accountIds: Type.Optional(Type.Array(AccountId, { minItems: 1, maxItems: 10000, uniqueItems: true })),
    crawlTypes: Type.Optional(Type.Array(CrawlType, { minItems: 1, uniqueItems: true })),
    requestedBy: Type.String(),
  },
  { additionalProperties: false },
);
export type StartCrawlRequest = Static<typeof StartCrawlRequest>;
export const StartCrawl = defineMessage('crawler.crawl.start', 1, StartCrawlRequest);

export const StartCrawlReply = Type.Object({
  crawlId: Type.String(),
  jobs: Type.Array(
    Type.Object({
      jobId: Type.String(),
      accountId: AccountId,
      crawlType: CrawlType,
      /** `already_queued`: a job for this account and type was waiting or running; it covers this request. */
      state: Type.Union([Type.Literal('queued'), Type.Literal('already_queued')]),
    }),
  ),
});
export type StartCrawlReply = Static<typeof StartCrawlReply>;
export const StartCrawlReplied = defineMessage('crawler.crawl.start.reply', 1, StartCrawlReply);

/** The streams services/crawler creates at its start; the cache waits for CRAWL_RESULTS. */
export const crawlerStreams = {
  /**
   * The crawl work queue. At most one message per (type, account) subject, and a new one is refused
   * while it exists: a job for an account and type is never waiting or running twice.
   */
  crawlJobs: defineStream({
    name: 'CRAWL_JOBS',
    owner: 'crawler',
    subjects: [crawlerSubjects.jobQueuedAll],
    retention: 'workqueue',
    maxMessagesPerSubject: 1,
    refuseNewPerSubject: true,
    duplicateWindowSeconds: 120,
  }),
  /** Crawl output (started, batches, completions, account discoveries) for the cache service. */
  crawlResults: defineStream({
    name: 'CRAWL_RESULTS',
    owner: 'crawler',
    subjects: [crawlerSubjects.resultsAll],
    retention: 'limits',
    maxAgeSeconds: 24 * 3600,
    duplicateWindowSeconds: 600,
  }),
} as const;

/**
 * What services/crawler publishes to JetStream. The message ids derive from the job, so a job that is
 * redelivered and run again within the duplicate window republishes nothing the cache has already seen.
 */
export const crawlerEvents = {
  /** Id: the job id; a refused publish (the subject holds a job) means "already queued". */
  jobQueued: defineEvent({
    owner: 'crawler',
    stream: crawlerStreams.crawlJobs,
    message: CrawlJobQueued,
    subject: (job) => crawlerSubjects.jobQueued(job.crawlType, job.accountId),
    msgId: (job) => job.jobId,
  }),
  started: defineEvent({
    owner: 'crawler',
    stream: crawlerStreams.crawlResults,
    message: CrawlStarted,
    subject: (start) => crawlerSubjects.started(start.crawlType, start.accountId),
    msgId: (start) => `${start.jobId}:started`,
  }),
  batch: defineEvent({
    owner: 'crawler',
    stream: crawlerStreams.crawlResults,
    message: ResourceBatchCrawled,
    subject: (batch) => crawlerSubjects.batch(batch.crawlType, batch.accountId),
    msgId: (batch) => `${batch.jobId}:batch:${batch.seq}`,
  }),
  completed: defineEvent({
    owner: 'crawler',
    stream: crawlerStreams.crawlResults,
    message: CrawlCompleted,
    subject: (completion) => crawlerSubjects.completed(completion.crawlType, completion.accountId),
    msgId: (completion) => `${completion.jobId}:completed`,
  }),
  accountsDiscovered: defineEvent({
    owner: 'crawler',
    stream: crawlerStreams.crawlResults,
    message: AccountsDiscovered,
    subject: () => crawlerSubjects.accountsDiscovered,
    msgId: (discovery) => discovery.discoveryId,
  }),
} as const;

/** What services/crawler answers over NATS request/reply (see `brokerOperations`). */
export const crawlerOperations = {
  startCrawl: defineOperation({
    owner: 'crawler',
    subject: crawlerSubjects.startCrawl,
    request: StartCrawl,
    reply: StartCrawlReplied,
    errors: ['UNKNOWN_ACCOUNT', 'VALIDATION_FAILED', 'UPSTREAM_UNAVAILABLE'],
  }),
} as const;
