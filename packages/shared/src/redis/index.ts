import { Redis, ReplyError } from 'ioredis';
import { AppError } from '../errors/index.js';
import type { Logger } from '../log/index.js';

export { Redis } from 'ioredis';

/** How long one command may wait for Redis's answer before it fails with REDIS_UNAVAILABLE. */
export const REDIS_COMMAND_TIMEOUT_MS = 2_000;
/** Longest pause between reconnection attempts, so service resumes within this of Redis's return. */
const MAX_RECONNECT_DELAY_MS = 500;

interface RejectableCommand {
  reject: (error: Error) => void;
}

/**
 * Redis client that fails fast while Redis is down and resumes by itself when it is back:
 * - commands time out after REDIS_COMMAND_TIMEOUT_MS instead of waiting on a hung server;
 * - once connected, there is no offline queue: a command sent while the connection is down fails at once
 *   (before the first connection, commands wait in the queue, bounded by the same timeout, so start-up
 *   code need not wait for `ready` itself);
 * - every failure that is not Redis's own reply (connection refused or closed, timed out) becomes the
 *   AppError REDIS_UNAVAILABLE (retryable, 503), so callers never see a bare ioredis error as INTERNAL;
 * - it reconnects every MAX_RECONNECT_DELAY_MS, forever: a Redis restart pauses work, it never crashes.
 * With a logger, losing and regaining the connection are logged once each (not every retry).
 */
export function createRedis(url: string, name: string, log?: Logger): Redis {
  const redis = new Redis(url, {
    connectionName: name,
    maxRetriesPerRequest: 1,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: REDIS_COMMAND_TIMEOUT_MS,
    enableReadyCheck: true,
    retryStrategy: (times) => Math.min(times * 100, MAX_RECONNECT_DELAY_MS),
  });
  const send = redis.sendCommand.bind(redis);
  redis.sendCommand = (command: Parameters<Redis['sendCommand']>[0], ...rest: unknown[]) => {
    const rejectable = command as unknown as RejectableCommand;
    const reject = rejectable.reject.bind(command);
    rejectable.reject = (error: Error) => reject(toRedisError(error, name));
    return (send as (...args: unknown[]) => unknown)(command, ...rest);
  };

  let lost = false;
  redis.on('ready', () => {
    // From the first connection on, a command sent while disconnected fails at once (see above).
    redis.options.enableOfflineQueue = false;
    if (lost) log?.info({ redis: name }, 'redis connection restored');
    lost = false;
  });
  redis.on('error', (error: Error) => {
    if (lost) return;
    lost = true;
    log?.warn({ err: error, redis: name }, 'redis connection lost; commands fail until it is back');
  });
  return redis;
}

/** Redis's own answers (WRONGTYPE, a script error…) stay as they are; anything else means Redis is unreachable. */
function toRedisError(error: Error, name: string): Error {
  if (error instanceof ReplyError || error instanceof AppError) return error;
  return new AppError('REDIS_UNAVAILABLE', `Redis is unreachable (${error.message}); try again shortly`, {
    cause: error,
    context: { redis: name },
  });
}

/**
 * Runs one Redis operation for a service's adapter: an AppError (REDIS_UNAVAILABLE from `createRedis`) as
 * it is, anything else (Redis's own error reply) as UPSTREAM_UNAVAILABLE naming the operation, so a
 * message or request that met it is retried rather than failed as INTERNAL.
 */
export async function callRedis<T>(operation: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError('UPSTREAM_UNAVAILABLE', `Redis ${operation} failed: ${(error as Error).message}`, {
      cause: error,
    });
  }
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
    indexByItemType: (itemType: string) => `${prefix}idx:type:${itemType}`,
    indexByAccount: (accountId: string) => `${prefix}idx:account:${accountId}`,
    /** Hash accountId → AwsAccount JSON. */
    accounts: `${prefix}accounts`,
    /** When the discovery that `accounts` holds was made (ISO time): an older one never replaces it. */
    accountsDiscoveredAt: `${prefix}accounts:discovered-at`,
    /** Hash `${accountId}:${crawlType}` → CrawlStatus JSON. */
    crawlStatus: `${prefix}crawl:status`,
    /**
     * Hash `${accountId}:${crawlType}` → JSON {startedAt, crawlId, jobId} of the partition's last complete
     * crawl, which saw every live item of it: an item's shown freshness is the later of this and its own.
     */
    partitionFreshness: `${prefix}crawl:freshness`,
    /** Counter raised with every change of `partitionFreshness`, so readers may keep a copy and check it. */
    partitionFreshnessVersion: `${prefix}crawl:freshness:version`,
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
    /** Counter of one source address's challenge logins in one fixed rate-limit window. */
    challengeRate: (address: string, windowStart: number) =>
      `${prefix}ratelimit:challenges:${windowStart}:${address}`,
    /** Counter of one source address's sign-ins (and Weep challenge approvals) in one fixed rate-limit window. */
    signInRate: (address: string, windowStart: number) =>
      `${prefix}ratelimit:sign-ins:${windowStart}:${address}`,
    /** Hash request id → RequestListItem JSON (with its account): the request list (services/requests). */
    requestRows: `${prefix}requests:rows`,
    /**
     * Sorted sets (all scores 0) of `<request time>#<id>`, newest last by lex order: every request, and
     * those of one status, requester or account. The list reads them backwards from a cursor.
     */
    requestIndex: (by: 'all' | 'status' | 'requester' | 'account', value = '') =>
      by === 'all' ? `${prefix}requests:idx:all` : `${prefix}requests:idx:${by}:${value}`,
    /** Set once the request list holds every request of the durable store (rebuild marker). */
    requestListLoaded: `${prefix}requests:meta:loaded`,
    requestListLock: `${prefix}requests:meta:rebuild-lock`,
  };
}
export type RedisKeys = ReturnType<typeof redisKeys>;
