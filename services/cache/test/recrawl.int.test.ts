import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CrawledItem } from '@rolecall/shared/contracts';
import { silentLogger } from '@rolecall/shared/log';
import { tableNames } from '@rolecall/shared/aws';
import { createRedis, redisKeys, type Redis } from '@rolecall/shared/redis';
import { createRedisCacheReader } from '../src/reader/index.js';
import {
  T,
  crawlMessages,
  queryPartition,
  role,
  startCache,
  storedChanges,
  waitFor,
  waitForCompletion,
  waitForIdle,
  type DynamoCall,
  type RunningCache,
  useCacheTestContext,
} from './harness.js';

const A = '111111111111';
const WRITES = new Set([
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'BatchWriteItemCommand',
  'TransactWriteItemsCommand',
]);
/** Redis commands that change data (from the cache's scripts, which MONITOR shows as they run). */
const REDIS_WRITES = new Set(['set', 'del', 'hset', 'hdel', 'zadd', 'zrem', 'incr']);

const roles = (count: number, prefix = 'r'): CrawledItem[] =>
  Array.from({ length: count }, (_, i) => role(A, `${prefix}${String(i).padStart(3, '0')}`));

/** Records every data-changing Redis command, scripts' included, from a MONITOR connection. */
async function monitorRedisWrites(url: string) {
  const client: Redis = createRedis(url, 'test-monitor');
  const monitor = await client.monitor();
  const writes: string[][] = [];
  monitor.on('monitor', (_time: string, args: string[]) => {
    if (REDIS_WRITES.has(String(args[0]).toLowerCase())) writes.push(args);
  });
  return {
    writes,
    /** MONITOR lines arrive after the command ran: a marker command written last flushes them through. */
    async settle(via: Redis) {
      const marker = `monitor-marker-${Math.random()}`;
      await via.set(marker, '1', 'EX', 60);
      await waitFor(() => Promise.resolve(writes.some((w) => w[1] === marker)), 'the monitor to catch up');
      writes.splice(
        writes.findIndex((w) => w[1] === marker),
        1,
      );
    },
    close() {
      monitor.disconnect();
      client.disconnect();
    },
  };
}

describe('a recrawl writes only what changed', () => {
  const t = useCacheTestContext();
  let cache: RunningCache;
  let monitor: Awaited<ReturnType<typeof monitorRedisWrites>> | undefined;

  beforeEach(async () => {
    cache = await startCache(t.config);
  });
  afterEach(async () => {
    monitor?.close();
    monitor = undefined;
    await cache.stop().catch(() => undefined);
  });

  const keys = () => redisKeys(t.config.redis.keyPrefix);
  const reader = () => createRedisCacheReader({ redis: cache.redis, keys: keys(), log: silentLogger() });
  const itemTables = () => {
    const names = tableNames(t.config.dynamodb.tablePrefix);
    return new Set([names.roles, names.resources]);
  };
  /** DynamoDB write requests since `from` that named the roles or resources table. */
  const itemWrites = (calls: DynamoCall[]) =>
    calls.filter((c) => WRITES.has(c.operation) && c.tables.some((table) => itemTables().has(table)));
  /** Redis writes that touched an item, its summary or an index (not the crawl status). */
  const itemKeyWrites = (writes: string[][]) => {
    const k = keys();
    return writes.filter(
      ([, key]) =>
        key?.startsWith(k.item('')) ||
        key === k.summaries ||
        key?.startsWith(`${t.config.redis.keyPrefix}idx:`),
    );
  };

  /** The ARN one item-key write was about: in the key (item:<arn>), or the hash field or set member. */
  const arnWritten = ([command, key, ...rest]: string[]) => {
    const itemPrefix = keys().item('');
    if (key?.startsWith(itemPrefix)) return key.slice(itemPrefix.length);
    return command?.toLowerCase() === 'zadd' ? rest[1] : rest[0];
  };

  const crawl = async (jobId: string, startedAt: string, items: CrawledItem[]) => {
    await crawlMessages(t.nc, { jobId, accountId: A, startedAt, items, batchSize: 5 }).all();
    await waitForCompletion(cache.redis, t.config, A, (s) => s.lastSuccessCrawlId === `crawl-${jobId}`);
    await waitForIdle(t.jsm);
  };

  it('writes no item to DynamoDB or Redis and announces nothing when nothing changed, and shows every item as seen by it', async () => {
    const items = roles(30);
    await crawl('job-1', T(1), items);

    const callsBefore = cache.dynamoCalls.length;
    monitor = await monitorRedisWrites(t.config.redis.url);
    await crawl('job-2', T(2), items);
    await monitor.settle(cache.redis);

    const calls = cache.dynamoCalls.slice(callsBefore);
    expect(itemWrites(calls)).toEqual([]);
    // What it does write is crawl bookkeeping, per batch and per crawl, not per item: the batch records,
    // the fence (which concurrent batches of the crawl may race to raise), the status.
    const bookkeeping = calls.filter((c) => WRITES.has(c.operation));
    const statusTable = tableNames(t.config.dynamodb.tablePrefix).crawlStatus;
    expect(bookkeeping.every((c) => c.tables.length === 1 && c.tables[0] === statusTable)).toBe(true);
    expect(bookkeeping.length).toBeLessThanOrEqual(2 * (items.length / 5) + 2);
    expect(itemKeyWrites(monitor.writes)).toEqual([]);
    expect((await storedChanges(t.jsm, A)).filter((c) => c.jobId === 'job-2')).toEqual([]);

    // DynamoDB still holds the first crawl's write of every item …
    const rows = await queryPartition(t.config, 'roles', `${A}#iam`);
    expect(rows).toHaveLength(30);
    expect(new Set(rows.map((row) => row.lastSeenAt))).toEqual(new Set([T(1)]));
    // … and readers see each one as seen by the second crawl, which saw every live item.
    for (const { arn } of items.slice(0, 3)) {
      expect(await reader().getItem(arn)).toMatchObject({
        firstSeenAt: T(1),
        lastSeenAt: T(2),
        lastCrawlId: 'crawl-job-2',
        lastJobId: 'job-2',
      });
    }
    const summaries = await reader().getSummaries(items.map((i) => i.arn));
    expect(new Set(summaries.map((s) => s?.lastSeenAt))).toEqual(new Set([T(2)]));
  });

  it('writes and announces exactly the items that were created, changed or deleted', async () => {
    const items = roles(30);
    await crawl('job-1', T(1), items);

    const changed = role(A, 'r007', { team: 'new' });
    const created = role(A, 'n000');
    const deleted = items[20]!;
    const second = [...items.filter((i) => i !== deleted && i.name !== 'r007'), changed, created];
    const callsBefore = cache.dynamoCalls.length;
    monitor = await monitorRedisWrites(t.config.redis.url);
    await crawl('job-2', T(2), second);
    await monitor.settle(cache.redis);

    const changes = (await storedChanges(t.jsm, A)).filter((c) => c.jobId === 'job-2');
    expect(changes.map((c) => `${c.change} ${c.arn}`).sort()).toEqual(
      [`created ${created.arn}`, `deleted ${deleted.arn}`, `updated ${changed.arn}`].sort(),
    );
    // The two batches with a created or changed item wrote one transaction each; the deletion is one more.
    const writes = itemWrites(cache.dynamoCalls.slice(callsBefore));
    expect(writes.filter((c) => c.operation === 'TransactWriteItemsCommand').length).toBeLessThanOrEqual(3);
    expect(writes.filter((c) => c.operation === 'DeleteItemCommand')).toHaveLength(1);
    const touched = new Set(itemKeyWrites(monitor.writes).map(arnWritten));
    expect([...touched].sort()).toEqual([changed.arn, created.arn, deleted.arn].sort());

    expect(await reader().getItem(changed.arn)).toMatchObject({ tags: { team: 'new' }, lastSeenAt: T(2) });
    expect(await reader().getItem(deleted.arn)).toBeUndefined();
    expect(await reader().getItem(items[0]!.arn)).toMatchObject({ lastSeenAt: T(2), firstSeenAt: T(1) });
    expect(await cache.redis.zcard(keys().index)).toBe(30);
  });

  it('never lets a late batch of an older crawl overwrite what a newer crawl found unchanged', async () => {
    await crawl('job-1', T(1), [role(A, 'alpha', { team: 'a' }), role(A, 'beta')]);

    // The newer crawl finds alpha unchanged (and so writes nothing for it) …
    const newer = crawlMessages(t.nc, {
      jobId: 'job-3',
      accountId: A,
      startedAt: T(3),
      items: [role(A, 'alpha', { team: 'a' }), role(A, 'beta')],
    });
    await newer.started();
    await newer.batch(0);
    await waitForIdle(t.jsm);
    // … then a batch of an older crawl, which saw alpha otherwise, arrives late.
    const late = crawlMessages(t.nc, {
      jobId: 'job-2',
      accountId: A,
      startedAt: T(2),
      items: [role(A, 'alpha', { team: 'stale' })],
    });
    await late.started();
    await late.batch(0);
    await late.completed();
    await newer.completed();
    await waitForCompletion(cache.redis, t.config, A, (s) => s.lastSuccessCrawlId === 'crawl-job-3');
    await waitForIdle(t.jsm);

    const alpha = await reader().getItem(role(A, 'alpha').arn);
    expect(alpha).toMatchObject({ tags: { team: 'a' }, lastSeenAt: T(3), lastJobId: 'job-3' });
    const rows = await queryPartition(t.config, 'roles', `${A}#iam`);
    expect(rows.find((row) => row.name === 'alpha')?.tags).toEqual({ team: 'a' });
    expect((await storedChanges(t.jsm, A)).filter((c) => c.jobId !== 'job-1')).toEqual([]);
  });

  it('keeps what an interrupted recrawl saw across a cache restart, and deletes exactly what it did not see', async () => {
    const items = roles(60);
    await crawl('job-1', T(1), items);

    // The recrawl sees all but r000, unchanged; the first cache stores half its batches, then dies.
    const second = items.slice(1);
    const recrawl = crawlMessages(t.nc, {
      jobId: 'job-2',
      accountId: A,
      startedAt: T(2),
      items: second,
      batchSize: 5,
    });
    await recrawl.started();
    for (let seq = 0; seq < 6; seq += 1) await recrawl.batch(seq);
    await waitForIdle(t.jsm);
    await cache.crash();

    for (let seq = 6; seq < recrawl.batchCount; seq += 1) await recrawl.batch(seq);
    await recrawl.completed();
    cache = await startCache(t.config);
    const status = await waitForCompletion(
      cache.redis,
      t.config,
      A,
      (s) => s.lastSuccessCrawlId === 'crawl-job-2',
    );
    await waitForIdle(t.jsm);

    expect(status.itemCount).toBe(59);
    expect(await cache.redis.zrange(keys().index, 0, -1)).toEqual(second.map((i) => i.arn));
    expect(await queryPartition(t.config, 'roles', `${A}#iam`)).toHaveLength(59);
    const changes = (await storedChanges(t.jsm, A)).filter((c) => c.jobId === 'job-2');
    expect(changes.map((c) => `${c.change} ${c.arn}`)).toEqual([`deleted ${items[0]!.arn}`]);
  });
});
