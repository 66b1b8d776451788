import type { CachedItem, ChangeKind, CrawledItem, CrawlType } from '@rolecall/shared/contracts';
import { contentHashOf } from './content-hash.js';
import { partitionKey, toCachedItem, type ItemHead, type StoredItem } from './stored-item.js';

/** The crawl job a batch or completion belongs to. */
export interface JobRef {
  jobId: string;
  crawlId: string;
  accountId: string;
  crawlType: CrawlType;
  startedAt: string;
}

export interface ItemChange {
  kind: ChangeKind;
  before?: CachedItem;
  after?: CachedItem;
}

export type UpsertPlan =
  /** A newer crawl already wrote this item: leave it. */
  | { action: 'skip' }
  /**
   * Stored as crawled: nothing to write anywhere. The batch record notes it as seen, and its freshness
   * follows from the partition's last complete crawl.
   */
  | { action: 'unchanged' }
  /** Write `item` to DynamoDB (conditionally), then Redis, then publish `change` if any. */
  | { action: 'write'; item: StoredItem; change?: ItemChange }
  /**
   * This job already wrote exactly this: nothing to write in DynamoDB, but Redis and the event may
   * have been lost in a crash, so both are done again (JetStream drops the duplicate event).
   */
  | { action: 'repeat'; item: StoredItem; change?: ItemChange };

/** Decides what one crawled item does to the store, given what the store holds now. */
export function planUpsert(options: {
  current: StoredItem | undefined;
  crawled: CrawledItem;
  job: JobRef;
  writeId: string;
}): UpsertPlan {
  const { current, crawled, job, writeId } = options;
  if (current && current.seenAt > job.startedAt) return { action: 'skip' };
  // A tombstoned item is on its way out and subscribers were told so: seeing it again creates it.
  const live = current && current.deletedByJob === undefined ? current : undefined;
  const contentHash = contentHashOf(crawled);
  const cached: CachedItem = {
    ...crawled,
    firstSeenAt: live?.firstSeenAt ?? job.startedAt,
    lastSeenAt: job.startedAt,
    lastCrawlId: job.crawlId,
    lastJobId: job.jobId,
    contentHash,
  };
  const base = {
    ...cached,
    partition: partitionKey(job.accountId, job.crawlType),
    seenAt: job.startedAt,
    writeId,
  };

  if (live && live.changedByJob === job.jobId && live.contentHash === contentHash && live.changeKind) {
    const change: ItemChange = {
      kind: live.changeKind,
      ...(live.previous ? { before: live.previous } : {}),
      after: cached,
    };
    const item: StoredItem = {
      ...base,
      changedByJob: job.jobId,
      changeKind: live.changeKind,
      ...(live.previous ? { previous: live.previous } : {}),
    };
    if (live.seenAt === job.startedAt) return { action: 'repeat', item: live, change };
    return { action: 'write', item, change };
  }
  if (!live) {
    return {
      action: 'write',
      item: { ...base, changedByJob: job.jobId, changeKind: 'created' },
      change: { kind: 'created', after: cached },
    };
  }
  if (live.contentHash !== contentHash) {
    const before = toCachedItem(live);
    return {
      action: 'write',
      item: { ...base, changedByJob: job.jobId, changeKind: 'updated', previous: before },
      change: { kind: 'updated', before, after: cached },
    };
  }
  return { action: 'unchanged' };
}

/**
 * What a batch can decide from an item's plain attributes alone (`ItemHead`), so that a recrawl reads no
 * body for what it finds unchanged: 'plan' (absent: plan it as new), 'skip' (a newer crawl wrote it),
 * 'unchanged', or 'read' (changed, being deleted, or written by this job before: read it whole and plan).
 */
export function triageHead(
  head: ItemHead | undefined,
  contentHash: string,
  job: JobRef,
): 'plan' | 'skip' | 'unchanged' | 'read' {
  if (!head) return 'plan';
  if (head.seenAt > job.startedAt) return 'skip';
  if (
    head.deletedByJob === undefined &&
    head.contentHash === contentHash &&
    head.changedByJob !== job.jobId
  ) {
    return 'unchanged';
  }
  return 'read';
}
