import { Redis } from 'ioredis';
import type { Logger } from '../log/index.js';

export { Redis } from 'ioredis';

/**
 * Redis client that keeps retrying: a Redis restart pauses work, it never crashes a service. With a
 * logger, connection errors are logged as warnings (ioredis reconnects by itself) instead of ioredis'
 * "unhandled error event" lines.
 */
export function createRedis(url: string, name: string, log?: Logger): Redis {
  const redis = new Redis(url, {
    connectionName: name,
    maxRetriesPerRequest: 20,
    enableReadyCheck: true,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  if (log)
    redis.on('error', (error: Error) => log.warn({ err: error, redis: name }, 'redis connection error'));
  return redis;
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
    /** When the discovery that `accounts` holds was made (ISO time): an older one never replaces it. */
    accountsDiscoveredAt: `${prefix}accounts:discovered-at`,
    /** Hash `${accountId}:${crawlType}` → CrawlStatus JSON. */
    crawlStatus: `${prefix}crawl:status`,
    /** Set once Redis holds a complete copy of the durable store (refill marker). */
    loaded: `${prefix}meta:loaded`,
    refillLock: `${prefix}meta:refill-lock`,
    /** Set (value: when) once the credential authorization mapping below is complete. */
    authzReady: `${prefix}authz:ready`,
    authzLock: `${prefix}authz:lock`,
    /** Hash lower-cased role ARN → JSON {arn, accountId, name, maxSessionDuration?} of every cached role. */
    authzRoles: `${prefix}authz:roles`,
    /**
     * Set of role ARNs one identity (user or group) may use, per source (role tags or dynamic config) and
     * grant (console+CLI, or CLI only). Eligible roles are the union over a user and their groups.
     */
    authzGrants: (source: 'tag' | 'cfg', grant: 'console' | 'cli', identity: string) =>
      `${prefix}authz:${source}:${grant}:${identity}`,
    /** Reverse map: hash identity → 'console' | 'cli' for one role (lower-cased ARN), per source. */
    authzReverse: (source: 'tag' | 'cfg', roleArnLower: string) =>
      `${prefix}authz:${source}:role:${roleArnLower}`,
    /** Identities the dynamic config currently grants to, so a new config replaces them all. */
    authzConfigIdentities: `${prefix}authz:cfg:identities`,
    /** JSON {sha256, updatedAt} of the dynamic config the mapping reflects. */
    authzConfigVersion: `${prefix}authz:cfg:version`,
    /** JSON of one pending or approved Weep challenge login (expires with the challenge). */
    challenge: (token: string) => `${prefix}challenge:${token}`,
    /** Counter of one user's credential requests in one fixed rate-limit window. */
    credentialRate: (user: string, windowStart: number) =>
      `${prefix}ratelimit:credentials:${windowStart}:${user}`,
  };
}
export type RedisKeys = ReturnType<typeof redisKeys>;
