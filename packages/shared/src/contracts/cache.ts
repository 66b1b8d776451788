import { Type, type Static } from 'typebox';
import { defineMessage } from './envelope.js';
import { defineEvent, defineStream } from './event.js';
import { AccountId, CachedItem, ItemType, type ItemType as ItemTypeT } from './resources.js';

/** Subjects owned by services/cache. */
export const cacheSubjects = {
  resourceChanged: (itemType: ItemTypeT, accountId: string) =>
    `cache.resource.changed.${itemType}.${accountId}`,
  /** Every change of one item type, in any account: a consumer's filter. */
  resourceChangedOfType: (itemType: ItemTypeT) => `cache.resource.changed.${itemType}.>`,
  resourceChangedAll: 'cache.resource.changed.>',
} as const;

export const ChangeKind = Type.Union([
  Type.Literal('created'),
  Type.Literal('updated'),
  Type.Literal('deleted'),
]);
export type ChangeKind = Static<typeof ChangeKind>;

/**
 * Published once per item that a crawl created, changed or deleted. `before` is absent for created
 * items and `after` for deleted ones. Subscribers outside Rolecall may rely on this shape (version 1).
 */
export const ResourceChange = Type.Object({
  change: ChangeKind,
  arn: Type.String(),
  itemType: ItemType,
  accountId: AccountId,
  crawlId: Type.String(),
  jobId: Type.String(),
  before: Type.Optional(CachedItem),
  after: Type.Optional(CachedItem),
});
export type ResourceChange = Static<typeof ResourceChange>;
export const ResourceChanged = defineMessage('cache.resource.changed', 1, ResourceChange);

/** The stream services/cache creates at its start; the broker (and outside subscribers) read it. */
export const cacheStreams = {
  /** Created/updated/deleted events for any subscriber. Deduplicated by message id for an hour. */
  resourceChanges: defineStream({
    name: 'RESOURCE_CHANGES',
    owner: 'cache',
    subjects: [cacheSubjects.resourceChangedAll],
    retention: 'limits',
    maxAgeSeconds: 7 * 24 * 3600,
    duplicateWindowSeconds: 3600,
  }),
} as const;

/** What services/cache publishes to JetStream. */
export const cacheEvents = {
  /**
   * Id: job, item and kind of change, so a batch or sweep handled twice announces each change once,
   * while the same item changed by a later job is announced again.
   */
  resourceChanged: defineEvent({
    owner: 'cache',
    stream: cacheStreams.resourceChanges,
    message: ResourceChanged,
    subject: (change) => cacheSubjects.resourceChanged(change.itemType, change.accountId),
    msgId: (change) => `${change.jobId}:${change.arn}:${change.change}`,
  }),
} as const;

/** What `GET /api/v3/cache/status` shows for one (account, crawl type). Kept in Redis and DynamoDB. */
export const CrawlStatus = Type.Object({
  accountId: AccountId,
  crawlType: Type.String(),
  running: Type.Boolean(),
  runningJobId: Type.Optional(Type.String()),
  runningSince: Type.Optional(Type.String()),
  lastSuccessAt: Type.Optional(Type.String()),
  lastSuccessCrawlId: Type.Optional(Type.String()),
  itemCount: Type.Integer({ minimum: 0 }),
  lastError: Type.Optional(Type.Object({ code: Type.String(), message: Type.String(), at: Type.String() })),
  /**
   * Grows by one with every change. Several cache processes write the Redis copy; a writer never
   * replaces a higher revision, so a slow process cannot put an older status back.
   */
  revision: Type.Optional(Type.Integer({ minimum: 0 })),
});
export type CrawlStatus = Static<typeof CrawlStatus>;

/**
 * Compact form of a cached item, kept in the Redis hash `summaries` (arn → JSON) for listing, search
 * and typeahead without loading whole items.
 */
export const ItemSummary = Type.Object({
  arn: Type.String(),
  itemType: ItemType,
  /** ConsoleMe's technology column: AWS::IAM::Role, managed_policy, or the AWS Config resource type. */
  technology: Type.String(),
  accountId: AccountId,
  region: Type.String(),
  name: Type.String(),
  tags: Type.Record(Type.String(), Type.String()),
  lastSeenAt: Type.String(),
});
export type ItemSummary = Static<typeof ItemSummary>;
