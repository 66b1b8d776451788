import { redisKeys, type Redis } from '@rolecall/shared/redis';
import type { Challenge } from '../domain/challenge.js';
import type { ChallengeStore } from '../domain/ports.js';

/** Compare-and-set: replaces the JSON only if it is still what the caller read, keeping the TTL. */
const REPLACE_IF_UNCHANGED = `
local current = redis.call('GET', KEYS[1])
if current ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
return 1`;

export interface RedisChallengeStoreOptions {
  redis: Redis;
  keyPrefix: string;
  /**
   * How long Redis keeps a challenge after it expires, so a late poll hears `expired` rather than
   * `unknown` (the expiry itself is decided from `expiresAt`).
   */
  graceMs?: number;
}

/** Challenges as JSON strings under `challenge:<token>`, shared by every gateway copy. */
export function createRedisChallengeStore({
  redis,
  keyPrefix,
  graceMs = 60_000,
}: RedisChallengeStoreOptions): ChallengeStore {
  const keys = redisKeys(keyPrefix);
  const serialise = (challenge: Challenge) => JSON.stringify(challenge);
  return {
    async save(challenge) {
      const ttlMs = Math.max(1, challenge.expiresAt - challenge.createdAt + graceMs);
      await redis.set(keys.challenge(challenge.token), serialise(challenge), 'PX', ttlMs);
    },
    async get(token) {
      const raw = await redis.get(keys.challenge(token));
      if (raw === null) return undefined;
      try {
        return JSON.parse(raw) as Challenge;
      } catch {
        return undefined;
      }
    },
    async replace(expected, next) {
      const result = await redis.eval(
        REPLACE_IF_UNCHANGED,
        1,
        keys.challenge(expected.token),
        serialise(expected),
        serialise(next),
      );
      return result === 1;
    },
    async take(token) {
      return (await redis.del(keys.challenge(token))) === 1;
    },
  };
}
