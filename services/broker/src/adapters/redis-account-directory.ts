import type { AwsAccount } from '@rolecall/shared/contracts';
import type { Redis, RedisKeys } from '@rolecall/shared/redis';
import type { AccountDirectory } from '../domain/ports.js';

/** Account names from the hash the cache service keeps (`accounts`: id → AwsAccount JSON). */
export function createRedisAccountDirectory(options: { redis: Redis; keys: RedisKeys }): AccountDirectory {
  return {
    async names(accountIds) {
      const names = new Map<string, string>();
      if (accountIds.length === 0) return names;
      const values = await options.redis.hmget(options.keys.accounts, ...accountIds);
      values.forEach((value, index) => {
        if (!value) return;
        const account = JSON.parse(value) as Partial<AwsAccount>;
        if (account.name) names.set(accountIds[index] as string, account.name);
      });
      return names;
    },
  };
}
