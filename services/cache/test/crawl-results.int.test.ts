import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CachedItem, ItemSummary } from '@rolecall/shared/contracts';
import { silentLogger } from '@rolecall/shared/log';
import { redisKeys } from '@rolecall/shared/redis';
import { createRedisReadModel } from '../src/adapters/redis-read-model.js';
import { createRedisCacheReader } from '../src/reader/index.js';
import {
  T,
  crawlMessages,
  policy,
  publishAccounts,
  queryPartition,
  readSnapshot,
  readStatus,
  role,
  startCache,
  storedChanges,
  waitFor,
  waitForCompletion,
  waitForIdle,
  type RunningCache,
  useCacheTestContext,
} from './harness.js';

const A = '111111111111';

describe('cache service consuming crawl results', () => {
  const t = useCacheTestContext();
  let cache: RunningCache;

  beforeEach(async () => {
    cache = await startCache(t.config);
  });
  afterEach(async () => {
    await cache.stop();
  });

  const keys = () => redisKeys(t.config.redis.keyPrefix);
  /** The item as readers (the API) see it, freshness derived. */
  const item = async (arn: string): Promise<CachedItem | undefined> =>
    createRedisCacheReader({ redis: cache.redis, keys: keys(), log: silentLogger() }).getItem(arn);

  const firstCrawl = [
    role(A, 'alpha', { team: 'a' }),
    role(A, 'beta'),
    role(A, 'gamma'),
    policy(A, 'read'),
    role(A, 'delta'),
  ];

  it('stores a crawl in Redis, DynamoDB and S3 and announces each item once as created', async () => {
    const crawl = crawlMessages(t.nc, {
      jobId: 'job-1',
      accountId: A,
      startedAt: T(1),
      items: firstCrawl,
      batchSize: 2,
    });
    await crawl.all();
    const status = await waitForCompletion(
      cache.redis,
      t.config,
      A,
      (s) => s.lastSuccessCrawlId === 'crawl-job-1',
    );
    expect(status).toMatchObject({ running: false, itemCount: 5, lastSuccessAt: '2026-01-01T00:01:00.000Z' });

    const alpha = await item(`arn:aws:iam::${A}:role/alpha`);
    expect(alpha).toMatchObject({
      name: 'alpha',
      tags: { team: 'a' },
      firstSeenAt: T(1),
      lastSeenAt: T(1),
      lastCrawlId: 'crawl-job-1',
      lastJobId: 'job-1',
    });
    const summary = JSON.parse(
      (await cache.redis.hget(keys().summaries, `arn:aws:iam::${A}:policy/read`))!,
    ) as ItemSummary;
    expect(summary).toMatchObject({
      itemType: 'managed_policy',
      technology: 'managed_policy',
      accountId: A,
      name: 'read',
    });
    const arns = firstCrawl.map((i) => i.arn).sort();
    expect(await cache.redis.zrange(keys().index, 0, -1)).toEqual(arns);
    expect(await cache.redis.zrange(keys().indexByAccount(A), 0, -1)).toEqual(arns);
    expect(await cache.redis.zrange(keys().indexByItemType('iam_role'), 0, -1)).toEqual(
      arns.filter((a) => a.includes(':role/')),
    );

    expect((await queryPartition(t.config, 'roles', `${A}#iam`)).map((i) => i.arn).sort()).toEqual(
      arns.filter((a) => a.includes(':role/')),
    );
    expect((await queryPartition(t.config, 'resources', `${A}#iam`)).map((i) => i.arn)).toEqual([
      `arn:aws:iam::${A}:policy/read`,
    ]);

    const snapshot = await readSnapshot(t.config, A, 'iam_role');
    expect(snapshot).toMatchObject({ accountId: A, itemType: 'iam_role', crawlId: 'crawl-job-1' });
    expect(snapshot.items.map((i) => i.arn)).toEqual(arns.filter((a) => a.includes(':role/')));
    expect((await readSnapshot(t.config, A, 'iam_user')).items).toEqual([]);

    const changes = await storedChanges(t.jsm, A);
    expect(changes.map((c) => c.change)).toEqual(Array(5).fill('created'));
    expect(changes.map((c) => c.arn).sort()).toEqual(arns);
    expect(changes.every((c) => c.before === undefined && c.after?.lastJobId === 'job-1')).toBe(true);
  });

  it('announces exactly one update, one deletion and one creation for the next crawl, and keeps freshness', async () => {
    await crawlMessages(t.nc, { jobId: 'job-1', accountId: A, startedAt: T(1), items: firstCrawl }).all();
    await waitForCompletion(cache.redis, t.config, A, (s) => s.lastSuccessCrawlId === 'crawl-job-1');

    const second = [
      role(A, 'alpha', { team: 'b' }),
      role(A, 'gamma'),
      policy(A, 'read'),
      role(A, 'delta'),
      role(A, 'epsilon'),
    ];
    await crawlMessages(t.nc, { jobId: 'job-2', accountId: A, startedAt: T(2), items: second }).all();
    const status = await waitForCompletion(
      cache.redis,
      t.config,
      A,
      (s) => s.lastSuccessCrawlId === 'crawl-job-2',
    );
    expect(status.itemCount).toBe(5);

    const changes = (await storedChanges(t.jsm, A)).filter((c) => c.jobId === 'job-2');
    expect(changes.map((c) => `${c.change} ${c.arn}`).sort()).toEqual(
      [
        `created arn:aws:iam::${A}:role/epsilon`,
        `deleted arn:aws:iam::${A}:role/beta`,
        `updated arn:aws:iam::${A}:role/alpha`,
      ].sort(),
    );
    const updated = changes.find((c) => c.change === 'updated')!;
    expect(updated.before?.tags).toEqual({ team: 'a' });
    expect(updated.after?.tags).toEqual({ team: 'b' });
    expect(changes.find((c) => c.change === 'deleted')?.before?.name).toBe('beta');

    const beta = `arn:aws:iam::${A}:role/beta`;
    expect(await item(beta)).toBeUndefined();
    expect(await cache.redis.hexists(keys().summaries, beta)).toBe(0);
    expect(await cache.redis.zscore(keys().index, beta)).toBeNull();
    expect(await cache.redis.zscore(keys().indexByItemType('iam_role'), beta)).toBeNull();
    expect(await cache.redis.zscore(keys().indexByAccount(A), beta)).toBeNull();
    expect((await queryPartition(t.config, 'roles', `${A}#iam`)).map((i) => i.arn)).not.toContain(beta);

    expect(await item(`arn:aws:iam::${A}:role/gamma`)).toMatchObject({
      firstSeenAt: T(1),
      lastSeenAt: T(2),
      lastCrawlId: 'crawl-job-2',
      lastJobId: 'job-2',
    });
    expect(await item(`arn:aws:iam::${A}:role/alpha`)).toMatchObject({ firstSeenAt: T(1), lastSeenAt: T(2) });
    expect(await item(`arn:aws:iam::${A}:role/epsilon`)).toMatchObject({
      firstSeenAt: T(2),
      lastSeenAt: T(2),
    });
    expect((await readSnapshot(t.config, A, 'iam_role')).items.map((i) => i.arn)).not.toContain(beta);
  });

  it('deletes nothing when a crawl fails, and records its error', async () => {
    await crawlMessages(t.nc, { jobId: 'job-1', accountId: A, startedAt: T(1), items: firstCrawl }).all();
    await waitForCompletion(cache.redis, t.config, A, (s) => s.lastSuccessCrawlId === 'crawl-job-1');

    await crawlMessages(t.nc, {
      jobId: 'job-2',
      accountId: A,
      startedAt: T(2),
      items: [role(A, 'alpha', { team: 'a' })],
      status: 'failed',
    }).all();
    const status = await waitForCompletion(cache.redis, t.config, A, (s) => s.lastError !== undefined);
    expect(status).toMatchObject({
      running: false,
      itemCount: 5,
      lastSuccessCrawlId: 'crawl-job-1',
      lastError: { code: 'ACCESS_DENIED', message: 'spoke role refused' },
    });
    await waitForIdle(t.jsm);
    expect(await cache.redis.zcard(keys().index)).toBe(5);
    expect((await storedChanges(t.jsm, A)).filter((c) => c.change === 'deleted')).toEqual([]);
    expect(await queryPartition(t.config, 'roles', `${A}#iam`)).toHaveLength(4);
  });

  it('stays exact when the crawler sends the same batches and completion again', async () => {
    await crawlMessages(t.nc, { jobId: 'job-1', accountId: A, startedAt: T(1), items: firstCrawl }).all();
    await waitForCompletion(cache.redis, t.config, A, (s) => s.lastSuccessCrawlId === 'crawl-job-1');
    const second = [role(A, 'alpha', { team: 'b' }), role(A, 'gamma'), policy(A, 'read'), role(A, 'epsilon')];
    const crawl = crawlMessages(t.nc, {
      jobId: 'job-2',
      accountId: A,
      startedAt: T(2),
      items: second,
      batchSize: 2,
    });
    await crawl.started();
    await crawl.batch(0);
    await crawl.batch(0);
    await crawl.batch(1);
    await crawl.completed();
    await crawl.started();
    await crawl.batch(1);
    await crawl.batch(0);
    await crawl.completed();
    await waitForCompletion(cache.redis, t.config, A, (s) => s.lastSuccessCrawlId === 'crawl-job-2');
    await waitForIdle(t.jsm);

    const changes = (await storedChanges(t.jsm, A)).filter((c) => c.jobId === 'job-2');
    expect(changes.map((c) => `${c.change} ${c.arn}`).sort()).toEqual(
      [
        `created arn:aws:iam::${A}:role/epsilon`,
        `deleted arn:aws:iam::${A}:role/beta`,
        `deleted arn:aws:iam::${A}:role/delta`,
        `updated arn:aws:iam::${A}:role/alpha`,
      ].sort(),
    );
    expect(await cache.redis.zrange(keys().index, 0, -1)).toEqual(second.map((i) => i.arn).sort());
    expect(await readStatus(cache.redis, t.config, A)).toMatchObject({ running: false, itemCount: 4 });
  });

  it('ignores a batch older than the last complete crawl', async () => {
    await crawlMessages(t.nc, {
      jobId: 'job-2',
      accountId: A,
      startedAt: T(2),
      items: [role(A, 'alpha')],
    }).all();
    await waitForCompletion(cache.redis, t.config, A, (s) => s.lastSuccessCrawlId === 'crawl-job-2');
    const old = crawlMessages(t.nc, {
      jobId: 'job-1',
      accountId: A,
      startedAt: T(1),
      items: [role(A, 'ghost')],
    });
    await old.started();
    await old.batch(0);
    await old.completed();
    await waitForIdle(t.jsm);
    expect(await item(`arn:aws:iam::${A}:role/ghost`)).toBeUndefined();
    expect(await readStatus(cache.redis, t.config, A)).toMatchObject({
      running: false,
      lastSuccessCrawlId: 'crawl-job-2',
    });
  });

  it('shows a crawl as running from its start message until it completes', async () => {
    const crawl = crawlMessages(t.nc, { jobId: 'job-1', accountId: A, startedAt: T(1), items: firstCrawl });
    await crawl.started();
    await crawl.batch(0);
    const running = await waitForCompletion(cache.redis, t.config, A, (s) => s.running);
    expect(running).toMatchObject({ runningJobId: 'job-1', runningSince: T(1), itemCount: 0 });
    for (let seq = 1; seq < crawl.batchCount; seq += 1) await crawl.batch(seq);
    await crawl.completed();
    await waitForCompletion(cache.redis, t.config, A, (s) => !s.running && s.itemCount === 5);
  });

  it('replaces the known accounts with the newest discovery', async () => {
    const accounts = keys().accounts;
    await publishAccounts(t.nc, T(1), [
      { id: '111111111111', name: 'one', status: 'ACTIVE' },
      { id: '222222222222', name: 'two', status: 'ACTIVE', email: 'two@example.com' },
    ]);
    await waitFor(async () => (await cache.redis.hlen(accounts)) === 2, 'first discovery');
    await publishAccounts(t.nc, T(3), [{ id: '222222222222', name: 'two renamed', status: 'SUSPENDED' }]);
    await publishAccounts(t.nc, T(2), [{ id: '333333333333', name: 'stale', status: 'ACTIVE' }]);
    await waitForIdle(t.jsm);
    expect(await cache.redis.hgetall(accounts)).toEqual({
      '222222222222': JSON.stringify({ id: '222222222222', name: 'two renamed', status: 'SUSPENDED' }),
    });
  });

  it('never lets older accounts replace newer ones in Redis, whatever order the writes arrive in', async () => {
    // What a slow or redelivered older discovery, or a refill racing a discovery, would do.
    const readModel = createRedisReadModel({ redis: cache.redis, keys: keys() });
    const newer = { id: '222222222222', name: 'two', status: 'ACTIVE' };
    await readModel.replaceAccounts([newer], T(3));
    await readModel.replaceAccounts([{ id: '333333333333', name: 'stale', status: 'ACTIVE' }], T(2));
    expect(await cache.redis.hgetall(keys().accounts)).toEqual({ [newer.id]: JSON.stringify(newer) });
    await readModel.replaceAccounts([], T(4));
    expect(await cache.redis.hgetall(keys().accounts)).toEqual({});
  });
});
