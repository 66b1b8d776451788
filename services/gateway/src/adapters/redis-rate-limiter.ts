import { redisKeys, type Redis } from '@rolecall/shared/redis';
import type { RateLimiter } from '../domain/rate-limiter.js';

export interface RedisRateLimiterOptions {
  redis: Redis;
  keyPrefix: string;
  /** Requests allowed per window. */
  limit: number;
  windowMs: number;
  now: () => number;
}

/**
 * Fixed-window counter per user in Redis, so every gateway copy shares one count. INCR and PEXPIRE go
 * in one MULTI: a counter never outlives its window, even if this process dies between the two.
 */
export function createRedisRateLimiter(options: RedisRateLimiterOptions): RateLimiter {
  const keys = redisKeys(options.keyPrefix);
  return {
    async hit(user) {
      const now = options.now();
      const windowStart = now - (now % options.windowMs);
      const key = keys.credentialRate(user.toLowerCase(), windowStart);
      const results = await options.redis.multi().incr(key).pexpire(key, options.windowMs).exec();
      const count = Number(results?.[0]?.[1] ?? 0);
      if (count <= options.limit) return { allowed: true };
      return {
        allowed: false,
        retryAfterSeconds: Math.max(1, Math.ceil((windowStart + options.windowMs - now) / 1000)),
      };
    },
  };
}
