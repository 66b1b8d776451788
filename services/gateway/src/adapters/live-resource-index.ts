import type { NatsConnection } from '@nats-io/transport-node';
import { DeliverPolicy, jetstream, jetstreamManager, type ConsumerMessages } from '@nats-io/jetstream';
import { buildSummary, type CacheMarkers, type RedisCacheReader } from '@rolecall/cache/reader';
import { cacheEvents, type ItemSummary, type ResourceChange } from '@rolecall/shared/contracts';
import type { Logger } from '@rolecall/shared/log';
import { readMessage, whenStreamExists } from '@rolecall/shared/nats';
import { setTimeout as sleep } from 'node:timers/promises';
import { walkIndex, type Catalog, type CatalogView } from '../domain/read-model.js';
import { createResourceIndex, type ResourceIndex } from '../domain/resource-index.js';

type Freshen = CatalogView['freshen'];
type Checked = { names: Map<string, string>; freshen: Freshen };

/** The gateway's in-memory copy of the cache's summaries, kept current by the cache's change events. */
export interface LiveResourceIndex extends Catalog {
  /** Whether the index is current (for tests and logs). */
  isCurrent(): boolean;
  /** Resolves once the index is current (at once when it is). */
  whenCurrent(): Promise<void>;
  close(): Promise<void>;
}

export interface LiveResourceIndexOptions {
  nc: NatsConnection;
  reader: RedisCacheReader;
  log: Logger;
  /**
   * How far back the feed starts before the snapshot is read. The cache publishes a deletion before it
   * removes the item from Redis, so a snapshot can still hold an item whose deletion it just missed:
   * replaying recent events (guarded by `lastSeenAt`, so replays change nothing newer) closes that gap.
   */
  replayMs?: number;
  /** ARNs read from Redis per round trip while loading. */
  loadChunk?: number;
  /**
   * Whether the Redis connection is up (ioredis `status === 'ready'`), checked on every request: while
   * it is not, every request reads Redis, so it fails fast with REDIS_UNAVAILABLE while Redis is down,
   * as when every read went to Redis.
   */
  redisReady: () => boolean;
  /**
   * Longest time the cache's markers are trusted before they are read again. Reading them on every
   * request cost a fifth of the gateway's CPU (bench/reads profile): requests share one read instead.
   */
  markersMaxAgeMs?: number;
  retryMs?: number;
}

/**
 * Why an index per gateway, not n-grams in Redis: a search is then no Redis round trip at all, and the
 * index is small (summaries only, about 100 MB of heap at 100k resources: see README, Benchmarks).
 * It stays correct by construction of its feed:
 * - an ordered JetStream consumer of RESOURCE_CHANGES starts (a little in the past) before the snapshot
 *   is read from Redis, and what arrives while loading is applied after it, so no change falls between;
 * - each change is applied only if it is not older than what the index holds (`lastSeenAt`), as the
 *   cache's Redis writer does, so replays and late deliveries are harmless;
 * - while NATS is disconnected, or the consumer misses its heartbeats, the index is not current and
 *   readers fall back to Redis; on reconnection it resyncs from Redis;
 * - changes that come without an event (accounts rediscovered, Redis emptied and refilled) move the
 *   cache's markers, which every request reads; a marker that moved starts a resync.
 */
export function startLiveResourceIndex(options: LiveResourceIndexOptions): LiveResourceIndex {
  const { nc, reader, log } = options;
  const replayMs = options.replayMs ?? 60_000;
  const loadChunk = options.loadChunk ?? 2_000;
  const retryMs = options.retryMs ?? 1_000;
  const markersMaxAgeMs = options.markersMaxAgeMs ?? 250;
  const stream = cacheEvents.resourceChanged.stream.name;

  let index: ResourceIndex | undefined;
  let loadedMarker: string | null | undefined;
  let accounts: { marker: string | null; names: Map<string, string> } | undefined;
  let messages: ConsumerMessages | undefined;
  let generation = 0;
  let closed = false;
  let waiters: (() => void)[] = [];
  const abort = new AbortController();

  const apply = (target: ResourceIndex, change: ResourceChange) => {
    if (change.change === 'deleted') {
      if (change.before) target.remove(change.arn, change.before.lastSeenAt);
    } else if (change.after) {
      target.upsert(buildSummary(change.after));
    }
  };

  const stale = (reason: string) => {
    if (index !== undefined)
      log.warn({ reason }, 'resource index is not current; reads use Redis until it resyncs');
    index = undefined;
  };

  /** Feed first, then snapshot, then what the feed buffered meanwhile. */
  const syncOnce = async (mine: number) => {
    const startTime = new Date(Date.now() - replayMs).toISOString();
    const jsm = await jetstreamManager(nc);
    await whenStreamExists(stream, () => jsm.streams.info(stream), {
      log,
      signal: abort.signal,
      isClosed: () => nc.isClosed(),
    });
    const consumer = await jetstream(nc).consumers.get(stream, {
      deliver_policy: DeliverPolicy.StartTime,
      opt_start_time: startTime,
    });
    messages?.stop();
    const feed = await consumer.consume();
    messages = feed;
    const buffered: ResourceChange[] = [];
    // Set once the snapshot is built; until then what arrives is buffered.
    const feeding: { target?: ResourceIndex } = {};
    void (async () => {
      for await (const msg of feed) {
        let change: ResourceChange;
        try {
          change = readMessage(cacheEvents.resourceChanged, msg).data;
        } catch (error) {
          log.warn({ err: error, subject: msg.subject }, 'skipping a malformed resource change event');
          continue;
        }
        if (feeding.target === undefined) buffered.push(change);
        else apply(feeding.target, change);
      }
    })();
    void (async () => {
      for await (const status of feed.status()) {
        if (status.type === 'heartbeats_missed' && mine === generation) {
          stale('missed heartbeats of the change feed');
          resync();
          return;
        }
      }
    })();

    const marker = (await reader.readMarkers()).loaded;
    const summaries: ItemSummary[] = [];
    for await (const arns of walkIndex(reader, { kind: 'all' }, { chunkSize: loadChunk })) {
      for (const summary of await reader.getStoredSummaries(arns)) if (summary) summaries.push(summary);
    }
    if (mine !== generation || closed) return;
    const built = createResourceIndex(summaries);
    for (const change of buffered) apply(built, change);
    built.prepare();
    feeding.target = built;
    loadedMarker = marker;
    index = built;
    for (const wake of waiters) wake();
    waiters = [];
    log.info({ items: built.size }, 'resource index loaded');
  };

  const sync = async (mine: number) => {
    while (!closed && mine === generation) {
      try {
        await syncOnce(mine);
        return;
      } catch (error) {
        if (closed) return;
        log.warn({ err: error }, 'loading the resource index failed; retrying');
        await sleep(retryMs, undefined, { signal: abort.signal }).catch(() => undefined);
      }
    }
  };

  const resync = () => {
    generation += 1;
    const mine = generation;
    void sync(mine);
  };

  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') stale('NATS disconnected');
      else if (status.type === 'reconnect') resync();
    }
  })();
  resync();

  /**
   * What the markers said, the account names they stand for, and the partitions' last complete crawls,
   * as of `readAt`. The index holds summaries as stored (their own `lastSeenAt`, which change events'
   * images carry too, so a deletion matches the copy it deleted); what it serves is freshened with the
   * crawls, since a recrawl that finds an item unchanged writes nothing and announces nothing.
   */
  let checked: { readAt: number; names: Map<string, string>; freshen: Freshen } | undefined;
  let checking: Promise<Checked> | undefined;

  const check = async (): Promise<Checked> => {
    const readAt = Date.now();
    const [markers, freshness]: [CacheMarkers, { freshen: Freshen }] = await Promise.all([
      reader.readMarkers(),
      reader.partitionFreshness(),
    ]);
    if (index !== undefined && markers.loaded !== loadedMarker) {
      stale('the cache refilled Redis');
      resync();
    }
    if (accounts?.marker !== markers.accounts || markers.accounts === null) {
      const names = new Map((await reader.listAccounts()).map((a) => [a.id, a.name]));
      accounts = { marker: markers.accounts, names };
    }
    checked = { readAt, names: accounts.names, freshen: freshness.freshen };
    return checked;
  };

  const current = (): Checked | Promise<Checked> => {
    if (checked !== undefined && Date.now() - checked.readAt < markersMaxAgeMs) return checked;
    checking ??= check().finally(() => {
      checking = undefined;
    });
    return checking;
  };

  return {
    async view() {
      // Not connected: read the markers now rather than trust the last read, so the answer is Redis's
      // own. A client that lost its connection fails that read at once with REDIS_UNAVAILABLE; one that
      // has not connected yet (a gateway just started) waits for its first connection.
      const { names, freshen } = options.redisReady() ? await current() : await check();
      return { index, accountName: (id) => names.get(id) ?? 'Unknown', freshen };
    },
    isCurrent: () => index !== undefined,
    whenCurrent: () =>
      index !== undefined ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve)),
    close() {
      closed = true;
      generation += 1;
      index = undefined;
      abort.abort();
      messages?.stop();
      return Promise.resolve();
    },
  };
}
