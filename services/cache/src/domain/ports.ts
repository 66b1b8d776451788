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
import type { StoredItem } from './stored-item.js';

/** The durable record of items (DynamoDB). Writes are conditional; a lost race returns false. */
export interface ItemStore {
  get(itemType: ItemType, partition: string, arn: string): Promise<StoredItem | undefined>;
  /** Reads many items in few round trips (a batch's worth); the map is keyed by ARN, absent items missing. */
  getMany(
    partition: string,
    items: readonly { itemType: ItemType; arn: string }[],
  ): Promise<Map<string, StoredItem>>;
  /** Writes only if the stored item still has `expectedWriteId` (or is absent when undefined). */
  put(item: StoredItem, expectedWriteId: string | undefined): Promise<boolean>;
  /** Every item of one (account, crawl type), in pages. */
  queryPartition(accountId: string, crawlType: CrawlType): AsyncIterable<StoredItem[]>;
  /** Marks an item not seen since `before` as being deleted by `jobId`; false if that no longer holds. */
  tombstone(item: StoredItem, jobId: string, before: string): Promise<boolean>;
  /** Deletes an item `jobId` tombstoned, unless it was seen again since. */
  deleteTombstoned(item: StoredItem, jobId: string, before: string): Promise<void>;
  /** Every item, in pages (refill). */
  scanAll(): AsyncIterable<StoredItem[]>;
}

/** Crawl bookkeeping (DynamoDB crawl status table). */
export interface CrawlStateStore {
  getStatus(accountId: string, crawlType: CrawlType): Promise<StatusRecord | undefined>;
  /** Writes only if the stored revision is still `expectedRevision` (absent when 0). */
  putStatus(record: StatusRecord, expectedRevision: number): Promise<boolean>;
  listStatuses(): Promise<StatusRecord[]>;
  /** Durably notes that batch `seq` of the job attempt is stored; repeating it is harmless. */
  recordBatch(jobKey: string, seq: number): Promise<void>;
  /** Which of the seqs 0..batchCount-1 are recorded. */
  recordedBatches(jobKey: string, batchCount: number): Promise<number[]>;
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
  /** Removes the item unless Redis holds a copy seen at or after `before`. */
  removeItem(item: Pick<CachedItem, 'arn' | 'itemType' | 'accountId'>, before: string): Promise<void>;
  /** Stores the status unless Redis holds a higher revision. */
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
