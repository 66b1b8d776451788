import { Type, type Static } from '@sinclair/typebox';
import { defineMessage } from './envelope.js';
import { AccountId, CachedItem, ItemType, type ItemType as ItemTypeT } from './resources.js';

/** Subjects owned by services/cache. */
export const cacheSubjects = {
  resourceChanged: (itemType: ItemTypeT, accountId: string) =>
    `cache.resource.changed.${itemType}.${accountId}`,
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
