import type { AwsAccount, CachedItem, CrawlStatus, ItemSummary } from '@rolecall/shared/contracts';
import type { Logger } from '@rolecall/shared/log';
import { redisKeys, type Redis } from '@rolecall/shared/redis';
import type { IndexRange, IndexSelector, ReadModel } from '../domain/read-model.js';

export interface RedisReadModelOptions {
  redis: Redis;
  keyPrefix: string;
  log: Logger;
}

/**
 * Reads the layout the cache service writes (see `redisKeys`). The index sorted sets have every
 * score 0, so ZRANGEBYLEX walks them in ARN order: that order is what cursors point into.
 */
export function createRedisReadModel({ redis, keyPrefix, log }: RedisReadModelOptions): ReadModel {
  const keys = redisKeys(keyPrefix);
  const indexKey = (index: IndexSelector) =>
    index.kind === 'all'
      ? keys.index
      : index.kind === 'type'
        ? keys.indexByType(index.itemType)
        : keys.indexByAccount(index.accountId);

  const parse = <T>(raw: string | null | undefined, what: string): T | undefined => {
    if (raw === null || raw === undefined) return undefined;
    try {
      return JSON.parse(raw) as T;
    } catch {
      // A corrupt entry is skipped rather than failing every listing that passes over it.
      log.warn({ what }, 'unreadable JSON in the Redis cache');
      return undefined;
    }
  };

  return {
    async getItem(arn) {
      return parse<CachedItem>(await redis.get(keys.item(arn)), `item ${arn}`);
    },
    async getSummaries(arns) {
      if (arns.length === 0) return [];
      const raw = await redis.hmget(keys.summaries, ...arns);
      return raw.map((value, i) => parse<ItemSummary>(value, `summary ${arns[i] ?? ''}`));
    },
    async rangeIndex(index, range: IndexRange) {
      const min =
        range.after !== undefined ? `(${range.after}` : range.from !== undefined ? `[${range.from}` : '-';
      const max = range.before !== undefined ? `(${range.before}` : '+';
      return redis.zrangebylex(indexKey(index), min, max, 'LIMIT', range.offset ?? 0, range.count);
    },
    async countIndex(index) {
      return redis.zcard(indexKey(index));
    },
    async listAccounts() {
      const raw = await redis.hvals(keys.accounts);
      return raw.map((v) => parse<AwsAccount>(v, 'account')).filter((a): a is AwsAccount => a !== undefined);
    },
    async listCrawlStatuses() {
      const raw = await redis.hvals(keys.crawlStatus);
      return raw
        .map((v) => parse<CrawlStatus>(v, 'crawl status'))
        .filter((s): s is CrawlStatus => s !== undefined);
    },
  };
}
