import { afterEach, describe, expect, it } from 'vitest';
import type { CrawledItem } from '@rolecall/shared/contracts';
import { STREAMS } from '@rolecall/shared/nats';
import { createRedis, redisKeys } from '@rolecall/shared/redis';
import {
  T,
  crawlMessages,
  dumpRedis,
  publishAccounts,
  queryPartition,
  role,
  startCache,
  storedChanges,
  waitFor,
  waitForCompletion,
  waitForIdle,
  type RunningCache,
  useCacheTestContext,
} from './harness.js';
import { CACHE_DURABLE } from '../src/service.js';

const A = '111111111111';
const B = '222222222222';

const roles = (accountId: string, count: number, prefix = 'r'): CrawledItem[] =>
  Array.from({ length: count }, (_, i) => role(accountId, `${prefix}${String(i).padStart(3, '0')}`));

describe('cache service under restarts, concurrency and a lost Redis', () => {
  const t = useCacheTestContext();
  const running: RunningCache[] = [];

  const start = async () => {
    const cache = await startCache(t.config);
    running.push(cache);
    return cache;
  };

  afterEach(async () => {
    for (const cache of running.splice(0)) await cache.stop().catch(() => undefined);
  });

  it('finishes a crawl after the cache process handling it dies half-way, losing nothing', async () => {
    const first = await start();
    const items = roles(A, 60);
    const crawl = crawlMessages(t.nc, { jobId: 'job-1', accountId: A, startedAt: T(1), items, batchSize: 5 });
    await crawl.started();
    for (let seq = 0; seq < 6; seq += 1) await crawl.batch(seq);
    const keys = redisKeys(t.config.redis.keyPrefix);
    await waitFor(async () => (await first.redis.zcard(keys.index)) >= 10, 'some batches stored');
    running.splice(running.indexOf(first), 1);
    await first.crash();

    for (let seq = 6; seq < crawl.batchCount; seq += 1) await crawl.batch(seq);
    await crawl.completed();
    const second = await start();
    const status = await waitForCompletion(
      second.redis,
      t.config,
      A,
      (s) => s.lastSuccessCrawlId === 'crawl-job-1',
    );
    expect(status).toMatchObject({ running: false, itemCount: 60 });
    expect(await second.redis.zrange(keys.index, 0, -1)).toEqual(items.map((i) => i.arn));
    expect(await queryPartition(t.config, 'roles', `${A}#iam`)).toHaveLength(60);
    const changes = await storedChanges(t.jsm, A);
    expect(changes).toHaveLength(60);
    expect(new Set(changes.map((c) => c.arn)).size).toBe(60);
    expect(changes.every((c) => c.change === 'created')).toBe(true);
  });

  it('finishes a crawl within 10 s of restarting after the cache process holding its batches was killed', async () => {
    const first = await start();
    const items = roles(A, 120);
    const crawl = crawlMessages(t.nc, { jobId: 'job-r', accountId: A, startedAt: T(3), items, batchSize: 5 });
    await crawl.started();
    for (let seq = 0; seq < crawl.batchCount; seq += 1) await crawl.batch(seq);
    const keys = redisKeys(t.config.redis.keyPrefix);
    await waitFor(async () => (await first.redis.zcard(keys.index)) >= 10, 'some batches stored');
    running.splice(running.indexOf(first), 1);
    await first.crash();
    const atCrash = await t.jsm.consumers.info(STREAMS.crawlResults.name, CACHE_DURABLE);
    expect(atCrash.num_ack_pending, 'the kill must leave batches unacknowledged').toBeGreaterThan(0);
    await crawl.completed();

    // The messages the killed process held come back after the consumer's ack wait; the rest of the
    // crawl is small, so the whole of it fits the window after the restart.
    const restartedAt = Date.now();
    const second = await start();
    const status = await waitForCompletion(
      second.redis,
      t.config,
      A,
      (s) => s.lastSuccessCrawlId === 'crawl-job-r',
    );
    const resumedInMs = Date.now() - restartedAt;
    expect(resumedInMs, `completed ${resumedInMs} ms after the restart`).toBeLessThan(10_000);
    expect(status).toMatchObject({ running: false, itemCount: 120 });
    expect(await second.redis.zrange(keys.index, 0, -1)).toEqual(items.map((i) => i.arn));
    expect(await queryPartition(t.config, 'roles', `${A}#iam`)).toHaveLength(120);
    const changes = await storedChanges(t.jsm, A);
    expect(new Set(changes.map((c) => c.arn)).size).toBe(120);
    expect(changes).toHaveLength(120);
  });

  it('ends exactly right when two cache processes share the crawl results', async () => {
    const [one, two] = [await start(), await start()];
    const firstA = roles(A, 40);
    const firstB = roles(B, 25);
    await Promise.all([
      crawlMessages(t.nc, { jobId: 'a-1', accountId: A, startedAt: T(1), items: firstA, batchSize: 4 }).all(),
      crawlMessages(t.nc, { jobId: 'b-1', accountId: B, startedAt: T(1), items: firstB, batchSize: 4 }).all(),
    ]);
    await waitForCompletion(one.redis, t.config, A, (s) => s.lastSuccessCrawlId === 'crawl-a-1');
    await waitForCompletion(two.redis, t.config, B, (s) => s.lastSuccessCrawlId === 'crawl-b-1');

    // Second crawl of A: r000 changed, r001..r009 gone, n000..n004 new, the rest unchanged.
    const secondA = [role(A, 'r000', { changed: 'yes' }), ...firstA.slice(10), ...roles(A, 5, 'n')];
    await crawlMessages(t.nc, {
      jobId: 'a-2',
      accountId: A,
      startedAt: T(2),
      items: secondA,
      batchSize: 3,
    }).all();
    const status = await waitForCompletion(
      one.redis,
      t.config,
      A,
      (s) => s.lastSuccessCrawlId === 'crawl-a-2',
    );
    await waitForIdle(t.jsm);
    expect(status.itemCount).toBe(36);

    const keys = redisKeys(t.config.redis.keyPrefix);
    expect(await one.redis.zrange(keys.indexByAccount(A), 0, -1)).toEqual(secondA.map((i) => i.arn).sort());
    expect(await one.redis.zcard(keys.indexByAccount(B))).toBe(25);
    const changes = (await storedChanges(t.jsm, A)).filter((c) => c.jobId === 'a-2');
    const kinds = changes.reduce<Record<string, number>>(
      (n, c) => ({ ...n, [c.change]: (n[c.change] ?? 0) + 1 }),
      {},
    );
    expect(kinds).toEqual({ updated: 1, deleted: 9, created: 5 });
    expect(new Set(changes.map((c) => `${c.change}:${c.arn}`)).size).toBe(15);
    expect((await storedChanges(t.jsm, B)).length).toBe(25);
  });

  it('refills a flushed Redis from DynamoDB when a cache process starts, before any new crawl', async () => {
    const first = await start();
    await publishAccounts(t.nc, T(1), [
      { id: A, name: 'alpha', status: 'ACTIVE' },
      { id: B, name: 'beta', status: 'ACTIVE', email: 'b@example.com' },
    ]);
    await crawlMessages(t.nc, { jobId: 'a-1', accountId: A, startedAt: T(1), items: roles(A, 12) }).all();
    await crawlMessages(t.nc, { jobId: 'a-2', accountId: A, startedAt: T(2), items: roles(A, 8) }).all();
    await crawlMessages(t.nc, { jobId: 'b-1', accountId: B, startedAt: T(1), items: roles(B, 4) }).all();
    await waitForCompletion(first.redis, t.config, A, (s) => s.lastSuccessCrawlId === 'crawl-a-2');
    await waitForCompletion(first.redis, t.config, B, (s) => s.lastSuccessCrawlId === 'crawl-b-1');
    await waitForIdle(t.jsm);
    const before = await dumpRedis(first.redis, t.config);
    running.splice(running.indexOf(first), 1);
    await first.stop();

    const outside = createRedis(t.config.redis.url, 'test-flush');
    await outside.flushall();
    outside.disconnect();

    const refilled = await start();
    const keys = redisKeys(t.config.redis.keyPrefix);
    expect(await refilled.redis.get(keys.loaded)).not.toBeNull();
    const after = await dumpRedis(refilled.redis, t.config);
    expect(after).toEqual(before);
    expect(Object.keys(after)).toContain(keys.accounts);
    expect(Object.keys(after)).toContain(keys.crawlStatus);
    expect(await refilled.redis.zcard(keys.index)).toBe(12);
  });

  it('refills a Redis flushed while it runs, without a restart', async () => {
    const cache = await start();
    await crawlMessages(t.nc, { jobId: 'a-1', accountId: A, startedAt: T(1), items: roles(A, 6) }).all();
    await waitForCompletion(cache.redis, t.config, A, (s) => s.lastSuccessCrawlId === 'crawl-a-1');
    await cache.redis.flushall();
    const keys = redisKeys(t.config.redis.keyPrefix);
    await waitFor(async () => (await cache.redis.get(keys.loaded)) !== null, 'the periodic refill');
    expect(await cache.redis.zcard(keys.index)).toBe(6);
    expect(JSON.parse((await cache.redis.hget(keys.crawlStatus, `${A}:iam`))!)).toMatchObject({
      itemCount: 6,
    });
  });
});
