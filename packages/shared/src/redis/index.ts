import { Redis } from 'ioredis';

export { Redis } from 'ioredis';

/** Redis client that keeps retrying: a Redis restart pauses work, it never crashes a service. */
export function createRedis(url: string, name: string): Redis {
  return new Redis(url, {
    connectionName: name,
    maxRetriesPerRequest: 20,
    enableReadyCheck: true,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
}

/**
 * Every Redis key Rolecall uses, built in one place. The prefix keeps several installations (or
 * tests) apart on one Redis.
 */
export function redisKeys(prefix: string) {
  return {
    /** Full JSON of one cached item. */
    item: (arn: string) => `${prefix}item:${arn}`,
    /** Hash arn → compact summary JSON (type, account, name, region, tags) used for listing and search. */
    summaries: `${prefix}summaries`,
    /** Sorted set (all scores 0) of every ARN, ordered by ARN: the cursor index for listing. */
    index: `${prefix}idx:all`,
    indexByType: (itemType: string) => `${prefix}idx:type:${itemType}`,
    indexByAccount: (accountId: string) => `${prefix}idx:account:${accountId}`,
    /** Hash accountId → AwsAccount JSON. */
    accounts: `${prefix}accounts`,
    /** Hash `${accountId}:${crawlType}` → CrawlStatus JSON. */
    crawlStatus: `${prefix}crawl:status`,
    /** Set once Redis holds a complete copy of the durable store (refill marker). */
    loaded: `${prefix}meta:loaded`,
    refillLock: `${prefix}meta:refill-lock`,
  };
}
export type RedisKeys = ReturnType<typeof redisKeys>;
