import {
  AwsAccount,
  CRAWL_TYPE_OF_ITEM,
  CrawlStatus,
  ItemSummary,
  type ItemType,
  type TypedCachedItem,
} from '@rolecall/shared/contracts';
import { Type } from 'typebox';
import type { Logger } from '@rolecall/shared/log';
import type { RedisKeys } from '@rolecall/shared/redis';
import { crawlStatusId } from '../domain/crawl-status.js';
import { withFreshness, type PartitionFreshness } from '../domain/freshness.js';
import { checkCachedItem, compileCheck, parseChecked, type Checked } from './check-item.js';
import { createCorruptEntryLog, type CorruptionCounts, type EntryLocation } from './corrupt-entries.js';

/** Which ARN index to walk: every item, one item type, or one account. */
export type IndexSelector =
  { kind: 'all' } | { kind: 'itemType'; itemType: ItemType } | { kind: 'account'; accountId: string };

export interface IndexRange {
  /** Start strictly after this ARN (a cursor position). */
  after?: string;
  /** Start at this ARN, inclusive (a prefix search). Ignored when `after` is set. */
  from?: string;
  /** Stop before this ARN, exclusive. */
  before?: string;
  /** Entries of the range to skip first (page-numbered listings). */
  offset?: number;
  count: number;
}

/** The Redis commands the reader sends; an ioredis client (`createRedis`) is one. */
export interface RedisReads {
  get(key: string): Promise<string | null>;
  hmget(key: string, ...fields: string[]): Promise<(string | null)[]>;
  hgetall(key: string): Promise<Record<string, string>>;
  zrangebylex(
    key: string,
    min: string,
    max: string,
    limit: 'LIMIT',
    offset: number,
    count: number,
  ): Promise<string[]>;
  zcard(key: string): Promise<number>;
  mget(...keys: string[]): Promise<(string | null)[]>;
}

/**
 * Values that change whenever what a copy of the cache was loaded from stops being current without a
 * change event saying so: the accounts (replaced whole by discovery) and the refill marker (gone when
 * Redis lost its data, set again once refilled). Opaque: compare them, never parse them.
 */
/** What `partitionFreshness().freshen` reads and sets. */
export type FreshnessFields = {
  accountId: string;
  itemType: ItemType;
  lastSeenAt: string;
  lastCrawlId?: string;
  lastJobId?: string;
};

export interface CacheMarkers {
  accounts: string | null;
  loaded: string | null;
}

/**
 * The read side of the Redis layout services/cache writes (`redisKeys`). Every entry is checked against
 * its schema; one that is not JSON, fails its schema or sits under another item's key is corrupt: it is
 * logged once, counted, and read as absent, so a listing that passes over it still answers. Redis being
 * unreachable is not corruption: that error is thrown as the client raised it.
 */
export interface RedisCacheReader {
  /**
   * The item, typed by its item type; undefined when absent or corrupt. Its `lastSeenAt` (and crawl and
   * job ids) are the later of its own and its partition's last complete crawl: an unchanged item is not
   * rewritten by a recrawl.
   */
  getItem(arn: string): Promise<TypedCachedItem | undefined>;
  /**
   * Same order as `arns`; undefined where an ARN has no usable summary (deleted between two reads).
   * `lastSeenAt` as for `getItem`.
   */
  getSummaries(arns: readonly string[]): Promise<(ItemSummary | undefined)[]>;
  /**
   * The summaries as the cache stored them, `lastSeenAt` being the item's own write. For a copy kept
   * current by change events, whose `before` images carry stored times: freshen what it serves with
   * `partitionFreshness`.
   */
  getStoredSummaries(arns: readonly string[]): Promise<(ItemSummary | undefined)[]>;
  /**
   * `freshen(summary)` applies the partitions' last complete crawls as `getSummaries` does. One Redis
   * read of the freshness version; the partitions themselves only when it moved.
   */
  partitionFreshness(): Promise<{ freshen<T extends FreshnessFields>(item: T): T }>;
  /** ARNs of an index in ascending ARN order. */
  rangeIndex(index: IndexSelector, range: IndexRange): Promise<string[]>;
  countIndex(index: IndexSelector): Promise<number>;
  listAccounts(): Promise<AwsAccount[]>;
  /** The accounts among `accountIds` that are known, by id. */
  getAccounts(accountIds: readonly string[]): Promise<Map<string, AwsAccount>>;
  listCrawlStatuses(): Promise<CrawlStatus[]>;
  /** Both markers in one round trip. */
  readMarkers(): Promise<CacheMarkers>;
  /** Corrupt entries met so far (a counter for metrics and tests). */
  corruption(): CorruptionCounts;
}

const checkSummary = compileCheck(ItemSummary);
const checkFreshness = compileCheck(
  Type.Object({ startedAt: Type.String(), crawlId: Type.String(), jobId: Type.String() }),
);
const checkAccount = compileCheck(AwsAccount);
const checkStatus = compileCheck(CrawlStatus);

/**
 * The index sorted sets have every score 0, so ZRANGEBYLEX walks them in ARN order: that order is what
 * cursors point into.
 */
export function createRedisCacheReader(options: {
  redis: RedisReads;
  keys: RedisKeys;
  log: Logger;
}): RedisCacheReader {
  const { redis, keys } = options;
  const corrupt = createCorruptEntryLog({ log: options.log, store: 'redis' });

  const indexKey = (index: IndexSelector) =>
    index.kind === 'all'
      ? keys.index
      : index.kind === 'itemType'
        ? keys.indexByItemType(index.itemType)
        : keys.indexByAccount(index.accountId);

  /** The checked value of one entry; undefined when absent, or corrupt (reported). */
  const decode = <T>(
    location: EntryLocation,
    raw: string | null | undefined,
    check: (value: unknown) => Checked<T>,
  ): T | undefined => {
    if (raw === null || raw === undefined) return undefined;
    const checked = parseChecked(raw, check);
    if (checked.ok) return checked.value;
    corrupt.report(location, raw, checked.problem);
    return undefined;
  };

  /** A check that the entry also belongs where it was found (an item under its own ARN…). */
  const belongingTo =
    <T>(check: (value: unknown) => Checked<T>, idOf: (value: T) => string, id: string) =>
    (value: unknown): Checked<T> => {
      const checked = check(value);
      if (!checked.ok || idOf(checked.value) === id) return checked;
      return { ok: false, problem: `holds ${idOf(checked.value)}, not ${id}` };
    };

  /*
   * The partitions' freshness, kept here and read again only when its version counter moved (after a
   * crawl completes). The counter is read with each item read, in parallel, so it adds no round trip.
   */
  let freshness:
    { version: string | null; byPartition: Promise<Map<string, PartitionFreshness>> } | undefined;
  const freshnessAt = (version: string | null) => {
    if (freshness?.version !== version) {
      const byPartition = redis.hgetall(keys.partitionFreshness).then((entries) => {
        const map = new Map<string, PartitionFreshness>();
        for (const [id, raw] of Object.entries(entries)) {
          const value = decode({ key: keys.partitionFreshness, field: id }, raw, checkFreshness);
          if (value) map.set(id, value);
        }
        return map;
      });
      // A failed read is not kept: the next call reads again.
      byPartition.catch(() => {
        if (freshness?.byPartition === byPartition) freshness = undefined;
      });
      freshness = { version, byPartition };
    }
    return freshness.byPartition;
  };
  const partitionOf = (item: { accountId: string; itemType: ItemType }) =>
    crawlStatusId(item.accountId, CRAWL_TYPE_OF_ITEM[item.itemType]);

  const arnOf = (value: { arn: string }) => value.arn;
  const idOf = (account: AwsAccount) => account.id;
  const statusIdOf = (status: CrawlStatus) => crawlStatusId(status.accountId, status.crawlType);

  return {
    async getItem(arn) {
      const key = keys.item(arn);
      const [raw, version] = await Promise.all([redis.get(key), redis.get(keys.partitionFreshnessVersion)]);
      const item = decode({ key }, raw, belongingTo(checkCachedItem, arnOf, arn));
      if (!item) return undefined;
      return withFreshness(item, (await freshnessAt(version)).get(partitionOf(item)));
    },

    async getSummaries(arns) {
      if (arns.length === 0) return [];
      const [raw, version] = await Promise.all([
        redis.hmget(keys.summaries, ...arns),
        redis.get(keys.partitionFreshnessVersion),
      ]);
      const byPartition = await freshnessAt(version);
      return arns.map((arn, i) => {
        const summary = decode(
          { key: keys.summaries, field: arn },
          raw[i],
          belongingTo(checkSummary, arnOf, arn),
        );
        return summary && withFreshness(summary, byPartition.get(partitionOf(summary)));
      });
    },

    async getStoredSummaries(arns) {
      if (arns.length === 0) return [];
      const raw = await redis.hmget(keys.summaries, ...arns);
      return arns.map((arn, i) =>
        decode({ key: keys.summaries, field: arn }, raw[i], belongingTo(checkSummary, arnOf, arn)),
      );
    },

    async partitionFreshness() {
      const byPartition = await freshnessAt(await redis.get(keys.partitionFreshnessVersion));
      return { freshen: (item) => withFreshness(item, byPartition.get(partitionOf(item))) };
    },

    async rangeIndex(index, range) {
      const min =
        range.after !== undefined ? `(${range.after}` : range.from !== undefined ? `[${range.from}` : '-';
      const max = range.before !== undefined ? `(${range.before}` : '+';
      return redis.zrangebylex(indexKey(index), min, max, 'LIMIT', range.offset ?? 0, range.count);
    },

    async countIndex(index) {
      return redis.zcard(indexKey(index));
    },

    async listAccounts() {
      const entries = Object.entries(await redis.hgetall(keys.accounts));
      return entries.flatMap(([id, raw]) => {
        const account = decode({ key: keys.accounts, field: id }, raw, belongingTo(checkAccount, idOf, id));
        return account === undefined ? [] : [account];
      });
    },

    async getAccounts(accountIds) {
      const accounts = new Map<string, AwsAccount>();
      if (accountIds.length === 0) return accounts;
      const raw = await redis.hmget(keys.accounts, ...accountIds);
      accountIds.forEach((id, i) => {
        const account = decode(
          { key: keys.accounts, field: id },
          raw[i],
          belongingTo(checkAccount, idOf, id),
        );
        if (account !== undefined) accounts.set(id, account);
      });
      return accounts;
    },

    async listCrawlStatuses() {
      const entries = Object.entries(await redis.hgetall(keys.crawlStatus));
      return entries.flatMap(([id, raw]) => {
        const status = decode(
          { key: keys.crawlStatus, field: id },
          raw,
          belongingTo(checkStatus, statusIdOf, id),
        );
        return status === undefined ? [] : [status];
      });
    },

    async readMarkers() {
      const [accounts = null, loaded = null] = await redis.mget(keys.accountsDiscoveredAt, keys.loaded);
      return { accounts, loaded };
    },

    corruption: () => corrupt.counts(),
  };
}
