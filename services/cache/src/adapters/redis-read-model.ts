import { randomUUID } from 'node:crypto';
import { callRedis, type Redis, type RedisKeys } from '@rolecall/shared/redis';
import type { CachedItem } from '@rolecall/shared/contracts';
import { crawlStatusId, freshnessOf, toCrawlStatus } from '../domain/crawl-status.js';
import type { ReadModel } from '../domain/ports.js';
import { buildSummary } from '../domain/summary.js';
import { toCachedItem } from '../domain/stored-item.js';

/*
 * The scripts compare what Redis holds with what is being written so that two cache processes (or a
 * refill racing a crawl) can write in any order and Redis still ends with the newest copy.
 * ISO-8601 UTC timestamps compare correctly as strings.
 */
const PUT_ITEM = `
local current = redis.call('GET', KEYS[1])
if current then
  local ok, decoded = pcall(cjson.decode, current)
  if ok and type(decoded) == 'table' and type(decoded.lastSeenAt) == 'string' and decoded.lastSeenAt > ARGV[4] then
    return 0
  end
end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('ZADD', KEYS[3], 0, ARGV[1])
redis.call('ZADD', KEYS[4], 0, ARGV[1])
redis.call('ZADD', KEYS[5], 0, ARGV[1])
return 1
`;

const REMOVE_ITEM = `
local current = redis.call('GET', KEYS[1])
if current then
  local ok, decoded = pcall(cjson.decode, current)
  if ok and type(decoded) == 'table' and type(decoded.lastSeenAt) == 'string' and decoded.lastSeenAt >= ARGV[2] then
    return 0
  end
end
redis.call('DEL', KEYS[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
redis.call('ZREM', KEYS[5], ARGV[1])
return 1
`;

/**
 * KEYS: statuses, freshness, its version; ARGV: id, status JSON, revision, freshness JSON or ''. The
 * freshness is written with the status that carries it, and only when it changes (a repeated status
 * writes nothing more), so readers that keep a copy reread it only after a crawl completes.
 */
const PUT_STATUS = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current then
  local ok, decoded = pcall(cjson.decode, current)
  if ok and type(decoded) == 'table' and type(decoded.revision) == 'number' and decoded.revision > tonumber(ARGV[3]) then
    return 0
  end
end
if current ~= ARGV[2] then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
end
if ARGV[4] ~= '' and redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[4] then
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[4])
  redis.call('INCR', KEYS[3])
end
return 1
`;

/** KEYS: accounts hash, its discoveredAt; ARGV: discoveredAt, then id/JSON pairs. */
const REPLACE_ACCOUNTS = `
local current = redis.call('GET', KEYS[2])
if current and current > ARGV[1] then
  return 0
end
redis.call('DEL', KEYS[1])
for i = 2, #ARGV, 2 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
end
redis.call('SET', KEYS[2], ARGV[1])
return 1
`;

const RELEASE_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/**
 * Writes the layout of `redisKeys`. Its one reader is `createRedisCacheReader` (src/reader, published as
 * `@rolecall/cache/reader`): a change to what is written here is made there too, and nowhere else.
 */
export function createRedisReadModel(options: { redis: Redis; keys: RedisKeys }): ReadModel {
  const { redis, keys } = options;
  const itemKeys = (item: { arn: string; itemType: string; accountId: string }) => [
    keys.item(item.arn),
    keys.summaries,
    keys.index,
    keys.indexByItemType(item.itemType),
    keys.indexByAccount(item.accountId),
  ];

  const putArgs = (stored: CachedItem) => {
    const item = toCachedItem(stored);
    return [
      ...itemKeys(item),
      item.arn,
      JSON.stringify(item),
      JSON.stringify(buildSummary(item)),
      item.lastSeenAt,
    ] as const;
  };

  return {
    async putItem(stored) {
      await callRedis('put item', () => redis.eval(PUT_ITEM, 5, ...putArgs(stored)));
    },

    async putItems(items) {
      if (items.length === 0) return;
      // One pipeline: the batch's items reach Redis in one round trip instead of one each.
      const pipeline = redis.pipeline();
      for (const item of items) pipeline.eval(PUT_ITEM, 5, ...putArgs(item));
      const results = await callRedis('put items', () => pipeline.exec());
      const failure = results?.find(([error]) => error !== null)?.[0];
      if (failure) await callRedis('put items', () => Promise.reject(failure));
    },

    async removeItem(item, before) {
      await callRedis('remove item', () => redis.eval(REMOVE_ITEM, 5, ...itemKeys(item), item.arn, before));
    },

    async putStatus(record) {
      const status = toCrawlStatus(record);
      const freshness = freshnessOf(record);
      await callRedis('put crawl status', () =>
        redis.eval(
          PUT_STATUS,
          3,
          keys.crawlStatus,
          keys.partitionFreshness,
          keys.partitionFreshnessVersion,
          crawlStatusId(record.accountId, record.crawlType),
          JSON.stringify(status),
          String(record.revision),
          freshness ? JSON.stringify(freshness) : '',
        ),
      );
    },

    async replaceAccounts(accounts, discoveredAt) {
      const pairs = accounts.flatMap((a) => [a.id, JSON.stringify(a)]);
      await callRedis('replace accounts', () =>
        redis.eval(REPLACE_ACCOUNTS, 2, keys.accounts, keys.accountsDiscoveredAt, discoveredAt, ...pairs),
      );
    },

    async isLoaded() {
      return (await callRedis('get loaded', () => redis.get(keys.loaded))) !== null;
    },

    async markLoaded(at) {
      await callRedis('set loaded', () => redis.set(keys.loaded, at));
    },

    async lockRefill(ttlMs) {
      const token = randomUUID();
      const taken = await callRedis('take refill lock', () =>
        redis.set(keys.refillLock, token, 'PX', ttlMs, 'NX'),
      );
      if (taken !== 'OK') return undefined;
      return async () => {
        await callRedis('release refill lock', () => redis.eval(RELEASE_LOCK, 1, keys.refillLock, token));
      };
    },
  };
}
