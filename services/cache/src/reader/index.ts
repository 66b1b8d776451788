/*
 * @rolecall/cache/reader: how other services read what the cache service stores in Redis, checked against
 * the contracts' schemas. It imports no cache adapter and no AWS SDK, so a reader brings none of the
 * cache's runtime (NATS, DynamoDB, S3, its writers) with it. Rows of its DynamoDB item tables are read
 * through `@rolecall/cache/reader/dynamodb`.
 */
export { checkCachedItem, type Checked } from './check-item.js';
export type { CorruptionCounts, EntryLocation } from './corrupt-entries.js';
export { buildSummary } from '../domain/summary.js';
export {
  createRedisCacheReader,
  type CacheMarkers,
  type FreshnessFields,
  type IndexRange,
  type IndexSelector,
  type RedisCacheReader,
  type RedisReads,
} from './redis-cache-reader.js';
