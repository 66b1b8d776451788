import { KV_BUCKETS } from '@rolecall/shared/nats';
import type { JetStreamClient, KV } from 'nats';
import { JSONCodec } from 'nats';
import type { ScheduleClaims } from '../domain/ports.js';

const DAY_MS = 24 * 3600 * 1000;
const codec = JSONCodec();

export interface ReleasableScheduleClaims extends ScheduleClaims {
  /** Gives a claimed slot back, so a fan-out that failed is retried by whoever ticks next. */
  release(key: string): Promise<void>;
}

/**
 * Claims live in a KV bucket: `create` succeeds for exactly one writer of a key. Keys expire after a
 * day, long after their slot has passed.
 */
export function createKvScheduleClaims(options: {
  js: JetStreamClient;
  owner: string;
}): ReleasableScheduleClaims {
  let bucket: Promise<KV> | undefined;
  const open = () => {
    bucket ??= options.js.views
      .kv(KV_BUCKETS.crawlSchedule, { ttl: DAY_MS, history: 1 })
      .catch((error: unknown) => {
        bucket = undefined;
        throw error;
      });
    return bucket;
  };
  return {
    async claim(key) {
      const kv = await open();
      try {
        await kv.create(key, codec.encode({ owner: options.owner, claimedAt: new Date().toISOString() }));
        return true;
      } catch (error) {
        if (/wrong last sequence|key exists/i.test(String((error as Error).message))) return false;
        throw error;
      }
    },
    async release(key) {
      const kv = await open();
      await kv.delete(key);
    },
  };
}
