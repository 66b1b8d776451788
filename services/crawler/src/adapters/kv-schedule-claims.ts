import type { JetStreamClient } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { isWrongLastSequence, KV_BUCKETS } from '@rolecall/shared/nats';
import type { ScheduleClaims } from '../domain/ports.js';

const DAY_MS = 24 * 3600 * 1000;

/**
 * Claims live in a KV bucket: `create` succeeds for exactly one writer of a key. Keys expire after a
 * day, long after their slot has passed.
 */
export function createKvScheduleClaims(options: {
  js: JetStreamClient;
  owner: string;
  /** `nats.streamReplicas`: on a cluster the claims must outlive the node that holds them, as the streams do. */
  replicas?: number;
}): ScheduleClaims {
  let bucket: Promise<KV> | undefined;
  const open = () => {
    bucket ??= new Kvm(options.js)
      .create(KV_BUCKETS.crawlSchedule, { ttl: DAY_MS, history: 1, replicas: options.replicas ?? 1 })
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
        await kv.create(key, JSON.stringify({ owner: options.owner, claimedAt: new Date().toISOString() }));
        return true;
      } catch (error) {
        // Another writer's claim is there: the server refuses a create whose expected last sequence differs.
        if (isWrongLastSequence(error)) return false;
        throw error;
      }
    },
    async release(key) {
      const kv = await open();
      await kv.delete(key);
    },
  };
}
