import type { JetStreamClient } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { isWrongLastSequence, KV_BUCKETS } from '@rolecall/shared/nats';
import type { JobLeases } from '../domain/ports.js';

/**
 * Job leases in a KV bucket whose entries lapse `ttlMs` after their last write: `create` succeeds for one
 * writer of a key, and each renewal is an `update` on the revision this process last wrote, so a lease
 * that lapsed and was taken by another process is never silently taken back.
 */
export function createKvJobLeases(options: {
  js: JetStreamClient;
  owner: string;
  ttlMs: number;
  /** `nats.streamReplicas`: on a cluster a lease must outlive the node that holds it. */
  replicas?: number;
  now?: () => number;
}): JobLeases {
  const now = options.now ?? Date.now;
  const { owner } = options;
  let bucket: Promise<KV> | undefined;
  const open = () => {
    bucket ??= new Kvm(options.js)
      .create(KV_BUCKETS.crawlLeases, { ttl: options.ttlMs, history: 1, replicas: options.replicas ?? 1 })
      .catch((error: unknown) => {
        bucket = undefined;
        throw error;
      });
    return bucket;
  };
  /** The revision of each lease this process holds. */
  const held = new Map<string, number>();
  const value = () => JSON.stringify({ owner, at: new Date().toISOString() });

  return {
    async acquire(jobId) {
      const kv = await open();
      try {
        held.set(jobId, await kv.create(jobId, value()));
        return { held: true };
      } catch (error) {
        if (!isWrongLastSequence(error)) throw error;
      }
      // Someone holds it: this process itself (its own job handed back to it), or another one.
      const entry = await kv.get(jobId);
      if (entry && entry.operation === 'PUT') {
        const holder = (entry.json<{ owner?: string }>() ?? {}).owner;
        // Not renewed for a lifetime: its holder is gone, though the server has not removed it yet.
        const lapsesInMs = options.ttlMs - (now() - entry.created.getTime());
        if (holder !== owner && lapsesInMs > 0) return { held: false, lapsesInMs };
        try {
          held.set(jobId, await kv.update(jobId, value(), entry.revision));
          return { held: true };
        } catch (error) {
          if (!isWrongLastSequence(error)) throw error;
          return { held: false, lapsesInMs: options.ttlMs };
        }
      }
      // Lapsed or released between the two calls: one more try, as a first claim.
      try {
        held.set(jobId, await kv.create(jobId, value()));
        return { held: true };
      } catch (error) {
        if (isWrongLastSequence(error)) return { held: false, lapsesInMs: options.ttlMs };
        throw error;
      }
    },

    async renew(jobId) {
      const revision = held.get(jobId);
      if (revision === undefined) return false;
      const kv = await open();
      try {
        held.set(jobId, await kv.update(jobId, value(), revision));
        return true;
      } catch (error) {
        if (!isWrongLastSequence(error)) throw error;
        held.delete(jobId);
        return false;
      }
    },

    async release(jobId) {
      const revision = held.get(jobId);
      held.delete(jobId);
      if (revision === undefined) return;
      const kv = await open();
      try {
        await kv.delete(jobId, { previousSeq: revision });
      } catch (error) {
        // Another process holds it now: it is theirs to release.
        if (!isWrongLastSequence(error)) throw error;
      }
    },
  };
}
