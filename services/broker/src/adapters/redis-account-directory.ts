import { createRedisCacheReader } from '@rolecall/cache/reader';
import type { Logger } from '@rolecall/shared/log';
import type { Redis, RedisKeys } from '@rolecall/shared/redis';
import type { AccountDirectory } from '../domain/ports.js';

/** Account names, read with the cache service's own reader of the accounts it keeps in Redis. */
export function createRedisAccountDirectory(options: {
  redis: Redis;
  keys: RedisKeys;
  log: Logger;
}): AccountDirectory {
  const reader = createRedisCacheReader(options);
  return {
    async names(accountIds) {
      const names = new Map<string, string>();
      if (accountIds.length === 0) return names;
      for (const [id, account] of await reader.getAccounts(accountIds)) {
        if (account.name) names.set(id, account.name);
      }
      return names;
    },
  };
}
