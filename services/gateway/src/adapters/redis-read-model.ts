import { createRedisCacheReader, type RedisCacheReader } from '@rolecall/cache/reader';
import type { Logger } from '@rolecall/shared/log';
import { redisKeys, type Redis } from '@rolecall/shared/redis';

export interface RedisReadModelOptions {
  redis: Redis;
  keyPrefix: string;
  log: Logger;
}

/**
 * The gateway's read model is the cache service's own reader of its Redis layout: entries come back
 * checked against their schemas, and a corrupt one is logged once, counted (`corruption()`) and read as
 * absent, so it never turns a listing or a detail page into a 500.
 */
export function createRedisReadModel({ redis, keyPrefix, log }: RedisReadModelOptions): RedisCacheReader {
  return createRedisCacheReader({ redis, keys: redisKeys(keyPrefix), log });
}
