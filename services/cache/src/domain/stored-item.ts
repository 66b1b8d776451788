import {
  CRAWL_TYPE_OF_ITEM,
  type CachedItem,
  type CrawlType,
  type ItemType,
} from '@rolecall/shared/contracts';

/**
 * An item as DynamoDB holds it: the cached item plus what makes redelivery and concurrent
 * processes safe. `seenAt` is the start of the crawl that last saw it (an older crawl never
 * overwrites a newer one); `writeId` changes on every write (optimistic lock); `changedByJob`,
 * `changeKind` and `previous` let a redelivered batch re-publish the event it may not have sent;
 * `deletedByJob` marks an item a sweep is deleting.
 */
export interface StoredItem extends CachedItem {
  partition: string;
  seenAt: string;
  writeId: string;
  changedByJob?: string;
  changeKind?: 'created' | 'updated';
  previous?: CachedItem;
  deletedByJob?: string;
}

/**
 * The plain attributes of a stored item, read without its gzipped body: enough to tell whether a crawl
 * changed it, whether a newer crawl wrote it, and whether a sweep is deleting it. A recrawl reads only
 * these for the items it finds unchanged.
 */
export type ItemHead = Pick<
  StoredItem,
  'partition' | 'arn' | 'itemType' | 'seenAt' | 'contentHash' | 'changedByJob' | 'deletedByJob'
>;

/** The head of an item read whole (a row written before heads, or a test's stored item). */
export const headOfStored = (item: StoredItem): ItemHead => ({
  partition: item.partition,
  arn: item.arn,
  itemType: item.itemType,
  seenAt: item.seenAt,
  contentHash: item.contentHash,
  ...(item.changedByJob !== undefined ? { changedByJob: item.changedByJob } : {}),
  ...(item.deletedByJob !== undefined ? { deletedByJob: item.deletedByJob } : {}),
});

/** Every item of one (account, crawl type) shares a partition, so a sweep is one query per table. */
export const partitionKey = (accountId: string, crawlType: CrawlType) => `${accountId}#${crawlType}`;

/** IAM roles have their own table; everything else shares `resources`. */
export const tableKindOf = (itemType: ItemType): 'roles' | 'resources' =>
  itemType === 'iam_role' ? 'roles' : 'resources';

export const itemTypesOf = (crawlType: CrawlType): ItemType[] =>
  (Object.keys(CRAWL_TYPE_OF_ITEM) as ItemType[]).filter((t) => CRAWL_TYPE_OF_ITEM[t] === crawlType);

/** The public shape, without the bookkeeping attributes. */
export function toCachedItem(stored: CachedItem): CachedItem {
  return {
    arn: stored.arn,
    itemType: stored.itemType,
    accountId: stored.accountId,
    region: stored.region,
    name: stored.name,
    tags: stored.tags ?? {},
    details: stored.details ?? {},
    firstSeenAt: stored.firstSeenAt,
    lastSeenAt: stored.lastSeenAt,
    lastCrawlId: stored.lastCrawlId,
    lastJobId: stored.lastJobId,
    contentHash: stored.contentHash,
  };
}
