import { AppError } from '@rolecall/shared/errors';
import type { Redis } from '@rolecall/shared/redis';
import type { RateLimiter } from '../domain/ports.js';

export interface RedisRateLimiterOptions {
  redis: Redis;
  /** The counter's key for one subject (a user, a source address) in the window starting then. */
  key: (subject: string, windowStart: number) => string;
  /** Requests allowed per window. */
  limit: number;
  windowMs: number;
  now: () => number;
}

/**
 * Fixed-window counter per subject in Redis, so every gateway copy shares one count. INCR and PEXPIRE go
 * in one MULTI: a counter never outlives its window, even if this process dies between the two. A
 * failed count is an error (REDIS_UNAVAILABLE), never a silent "allowed".
 */
export function createRedisRateLimiter(options: RedisRateLimiterOptions): RateLimiter {
  return {
    async hit(subject) {
      const now = options.now();
      const windowStart = now - (now % options.windowMs);
      const key = options.key(subject.toLowerCase(), windowStart);
      const results = await options.redis.multi().incr(key).pexpire(key, options.windowMs).exec();
      const failed = results?.find(([error]) => error)?.[0];
      if (failed) throw failed;
      if (!results)
        throw new AppError('REDIS_UNAVAILABLE', 'Redis did not count the request; try again shortly');
      const count = Number(results[0]?.[1] ?? 0);
      if (count <= options.limit) return { allowed: true };
      return {
        allowed: false,
        retryAfterSeconds: Math.max(1, Math.ceil((windowStart + options.windowMs - now) / 1000)),
      };
    },
  };
}
