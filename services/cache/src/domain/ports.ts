import type {
  AccountsDiscovery,
  AwsAccount,
  CachedItem,
  CrawlType,
  ItemType,
  ResourceChange,
} from '@rolecall/shared/contracts';
import type { StatusRecord } from './crawl-status.js';
import type { SnapshotMeta } from './snapshot-builder.js';
import type { ItemHead, StoredItem } from './stored-item.js';

/** The partition fence (see `fenceId`) a crawl's writes are conditional on: its own start and job. */
export interface Fence {
  accountId: string;
  crawlType: CrawlType;
  startedAt: string;
  jobId: string;
}

/**
 * What a batch of writes did: `written` in DynamoDB; `fenced`, true when a newer crawl raised the fence,
 * so the writes not yet made were not (they are not in `written`).
 */
export interface WriteOutcome {
  written: StoredItem[];
  fenced: boolean;
}

/** The durable record of items (DynamoDB). Writes are conditional; a lost race returns false. */
export interface ItemStore {
  get(itemType: ItemType, partition: string, arn: string): Promise<StoredItem | undefined>;
  /** Reads many items in few round trips (a batch's worth); the map is keyed by ARN, absent items missing. */
  getMany(
    partition: string,
    items: readonly { itemType: ItemType; arn: string }[],
  ): Promise<Map<string, StoredItem>>;
  /** As `getMany`, the plain attributes only (no body to move or decompress). */
  getHeads(
    partition: string,
    items: readonly { itemType: ItemType; arn: string }[],
  ): Promise<Map<string, ItemHead>>;
  /**
   * Writes many items in few requests, all conditional on the fence: once a newer crawl has raised it,
   * this crawl writes nothing more. That one condition is all an item write needs: only one crawl (the
   * fence's) can write a partition at a time, and what it writes for an item is what it crawled (two
   * deliveries of one batch write the same content).
   */
  writeAll(items: readonly StoredItem[], fence: Fence): Promise<WriteOutcome>;
  /**
   * Every item of one (account, crawl type), in pages, as cached items with their `deletedByJob` (the
   * other bookkeeping attributes are not read); `itemTypes` narrows it to those types' tables.
   */
  queryPartition(
    accountId: string,
    crawlType: CrawlType,
    itemTypes?: readonly ItemType[],
  ): AsyncIterable<(CachedItem & Pick<StoredItem, 'deletedByJob'>)[]>;
  /** As `queryPartition`, the plain attributes only. */
  queryHeads(accountId: string, crawlType: CrawlType): AsyncIterable<ItemHead[]>;
  /**
   * Marks an item not seen since `fence.startedAt` as being deleted by `jobId`: 'changed' if that no
   * longer holds, 'fenced' if a newer crawl raised the fence.
   */
  tombstone(item: ItemHead, jobId: string, fence: Fence): Promise<'tombstoned' | 'changed' | 'fenced'>;
  /** Deletes an item `jobId` tombstoned, unless it was seen again since. */
  deleteTombstoned(item: ItemHead, jobId: string, before: string): Promise<void>;
  /** Every item, in pages (refill). */
  scanAll(): AsyncIterable<StoredItem[]>;
}

/** What the batch records of a job attempt hold: which batches are stored, and every ARN they saw. */
export interface RecordedBatches {
  seqs: number[];
  seen: Set<string>;
}

/** Crawl bookkeeping (DynamoDB crawl status table). */
export interface CrawlStateStore {
  getStatus(accountId: string, crawlType: CrawlType): Promise<StatusRecord | undefined>;
  /** Writes only if the stored revision is still `expectedRevision` (absent when 0). */
  putStatus(record: StatusRecord, expectedRevision: number): Promise<boolean>;
  listStatuses(): Promise<StatusRecord[]>;
  /**
   * Raises the partition's fence to `fence.startedAt` unless it is there or higher: 'current' when the
   * fence is now this crawl's, 'superseded' when a newer crawl has begun storing.
   */
  claimFence(fence: Fence): Promise<'current' | 'superseded'>;
  /**
   * Durably notes that batch `seq` of the job attempt is stored, with the ARNs it saw (what the sweep
   * keeps: unchanged items are not written, so their rows do not say they were seen); repeating it is harmless.
   */
  recordBatch(jobKey: string, seq: number, seen: readonly string[]): Promise<void>;
  /** Which of the seqs 0..batchCount-1 are recorded, and the ARNs they saw. */
  recordedBatches(jobKey: string, batchCount: number): Promise<RecordedBatches>;
  /** Records the discovery as the newest; false when a newer one is recorded already. */
  claimDiscovery(discovery: AccountsDiscovery): Promise<boolean>;
  /** The newest discovery recorded. */
  currentDiscovery(): Promise<AccountsDiscovery | undefined>;
}

/** Discovered accounts (DynamoDB accounts table). */
export interface AccountStore {
  replaceAll(accounts: AwsAccount[]): Promise<void>;
  list(): Promise<AwsAccount[]>;
}

/** The Redis read model the gateway serves from. */
export interface ReadModel {
  /** Stores the item unless Redis already holds a copy seen later. */
  putItem(item: CachedItem): Promise<void>;
  /** As `putItem` for each, in one round trip. */
  putItems(items: readonly CachedItem[]): Promise<void>;
  /** Removes the item unless Redis holds a copy seen at or after `before`. */
  removeItem(item: Pick<CachedItem, 'arn' | 'itemType' | 'accountId'>, before: string): Promise<void>;
  /**
   * Stores the status unless Redis holds a higher revision, and with it the partition's freshness (its
   * last complete crawl), which readers combine with each item's own.
   */
  putStatus(record: StatusRecord): Promise<void>;
  /** Replaces the accounts unless Redis holds those of a later discovery (`discoveredAt`, ISO time). */
  replaceAccounts(accounts: AwsAccount[], discoveredAt: string): Promise<void>;
  isLoaded(): Promise<boolean>;
  markLoaded(at: string): Promise<void>;
  /** Takes the refill lock for `ttlMs`; returns a release function, or undefined if another holds it. */
  lockRefill(ttlMs: number): Promise<(() => Promise<void>) | undefined>;
}

/**
 * Publishes change events. Each is identified by its job, item and kind of change (the event declaration,
 * `cacheEvents.resourceChanged`, derives the message id from them), so publishing the same change twice
 * reaches subscribers once.
 */
export interface ChangePublisher {
  publish(change: ResourceChange): Promise<void>;
}

export interface SnapshotWriter {
  /** Stores one snapshot (gzipped JSON from a SnapshotBuilder), replacing the previous one. */
  write(meta: SnapshotMeta, gzippedJson: Buffer): Promise<void>;
}
