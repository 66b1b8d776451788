import type { AwsAccount, CachedItem, CrawlStatus } from '@rolecall/shared/contracts';
import { capturedLogger } from '@rolecall/shared/log';
import { cachedItem, minimalDetails } from '@rolecall/testing';
import { redisKeys } from '@rolecall/shared/redis';
import { beforeEach, describe, expect, it } from 'vitest';
import { crawlStatusId } from '../domain/crawl-status.js';
import { toCachedItem } from '../domain/stored-item.js';
import { buildSummary } from '../domain/summary.js';
import { createRedisCacheReader, type RedisReads } from './redis-cache-reader.js';

const ACCOUNT = '111111111111';
const keys = redisKeys('t:');

/** Strings, hashes and lexicographic sorted sets in memory: the commands the reader sends, no network. */
function memoryRedis() {
  const strings = new Map<string, string>();
  const hashes = new Map<string, Map<string, string>>();
  const hash = (key: string) => {
    let h = hashes.get(key);
    if (!h) hashes.set(key, (h = new Map<string, string>()));
    return h;
  };
  const reads: RedisReads = {
    get: (key) => Promise.resolve(strings.get(key) ?? null),
    hmget: (key, ...fields) => Promise.resolve(fields.map((f) => hashes.get(key)?.get(f) ?? null)),
    hgetall: (key) => Promise.resolve(Object.fromEntries(hashes.get(key) ?? [])),
    zrangebylex: () => Promise.resolve([]),
    zcard: () => Promise.resolve(0),
    mget: (...keys) => Promise.resolve(keys.map((key) => strings.get(key) ?? null)),
  };
  return { reads, strings, hash };
}

/** Every line the reader logged, parsed. */
const capturedLog = () => capturedLogger({ level: 'debug' });

const role: CachedItem = cachedItem({
  arn: `arn:aws:iam::${ACCOUNT}:role/deploy`,
  itemType: 'iam_role',
  accountId: ACCOUNT,
  name: 'deploy',
  tags: { team: 'platform' },
  details: { ...minimalDetails('iam_role', 'deploy'), maxSessionDuration: 7200 },
});
const bucket: CachedItem = {
  ...role,
  arn: 'arn:aws:s3:::logs',
  itemType: 's3_bucket',
  region: 'us-east-1',
  name: 'logs',
  details: { policy: null },
};
const account: AwsAccount = { id: ACCOUNT, name: 'prod', status: 'ACTIVE' };
const status: CrawlStatus = {
  accountId: ACCOUNT,
  crawlType: 'iam',
  running: false,
  itemCount: 3,
  revision: 2,
};

let redis: ReturnType<typeof memoryRedis>;
let logged: ReturnType<typeof capturedLog>;
let reader: ReturnType<typeof createRedisCacheReader>;

/** What the cache's writer stores for an item: the item and its summary, as JSON. */
function store(item: CachedItem) {
  redis.strings.set(keys.item(item.arn), JSON.stringify(toCachedItem(item)));
  redis.hash(keys.summaries).set(item.arn, JSON.stringify(buildSummary(item)));
}

const warnings = () => logged.lines.filter((l) => l.level === 40);

beforeEach(() => {
  redis = memoryRedis();
  logged = capturedLog();
  reader = createRedisCacheReader({ redis: redis.reads, keys, log: logged.log });
  store(role);
  store(bucket);
  redis.hash(keys.accounts).set(ACCOUNT, JSON.stringify(account));
  redis.hash(keys.crawlStatus).set(crawlStatusId(ACCOUNT, 'iam'), JSON.stringify(status));
});

describe('the Redis cache reader', () => {
  it('reads items typed by their item type, and their summaries in the order asked', async () => {
    const item = await reader.getItem(role.arn);
    expect(item).toEqual(role);
    if (item?.itemType !== 'iam_role') throw new Error('expected a role');
    expect(item.details.maxSessionDuration).toBe(7200);
    expect(await reader.getSummaries([bucket.arn, 'arn:aws:s3:::absent', role.arn])).toEqual([
      buildSummary(bucket),
      undefined,
      buildSummary(role),
    ]);
    expect(await reader.getItem('arn:aws:s3:::absent')).toBeUndefined();
    expect(await reader.listAccounts()).toEqual([account]);
    expect(await reader.getAccounts([ACCOUNT, '222222222222'])).toEqual(new Map([[ACCOUNT, account]]));
    expect(await reader.listCrawlStatuses()).toEqual([status]);
    expect(reader.corruption()).toEqual({ entries: 0, reads: 0 });
    expect(warnings()).toEqual([]);
  });

  it('reads an item that is not JSON as absent, logs it once with its key and counts every read', async () => {
    redis.strings.set(keys.item(role.arn), '{"arn": "arn:aws:iam::1');
    expect(await reader.getItem(role.arn)).toBeUndefined();
    expect(await reader.getItem(role.arn)).toBeUndefined();
    expect(warnings()).toEqual([
      expect.objectContaining({
        store: 'redis',
        key: keys.item(role.arn),
        problem: expect.stringMatching(/^not JSON/) as string,
      }),
    ]);
    expect(reader.corruption()).toEqual({ entries: 1, reads: 2 });
  });

  it('reads an item that fails its schema as absent, saying what is wrong, logged once', async () => {
    const details = Object.fromEntries(
      Object.entries(role.details).filter(([key]) => key !== 'assumeRolePolicyDocument'),
    );
    redis.strings.set(keys.item(role.arn), JSON.stringify({ ...role, details }));
    for (let i = 0; i < 3; i++) expect(await reader.getItem(role.arn)).toBeUndefined();
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]).toMatchObject({
      key: keys.item(role.arn),
      problem: expect.stringMatching(/iam_role.*assumeRolePolicyDocument/) as string,
    });
    expect(reader.corruption()).toEqual({ entries: 1, reads: 3 });
  });

  it('logs a corrupt entry again when its corrupt content changes', async () => {
    redis.strings.set(keys.item(role.arn), 'not json');
    await reader.getItem(role.arn);
    redis.strings.set(keys.item(role.arn), JSON.stringify({ ...role, region: 7 }));
    await reader.getItem(role.arn);
    await reader.getItem(role.arn);
    expect(warnings().map((w) => w.problem)).toEqual([
      expect.stringMatching(/^not JSON/),
      expect.stringMatching(/region/),
    ]);
    expect(reader.corruption()).toEqual({ entries: 2, reads: 3 });
  });

  it("reads an entry under another item's key as corrupt", async () => {
    redis.strings.set(keys.item(role.arn), JSON.stringify(bucket));
    expect(await reader.getItem(role.arn)).toBeUndefined();
    expect(warnings()[0]).toMatchObject({ problem: `holds ${bucket.arn}, not ${role.arn}` });
  });

  it('leaves a corrupt summary, account or status out of a listing and keeps the rest', async () => {
    redis.hash(keys.summaries).set(bucket.arn, JSON.stringify({ ...buildSummary(bucket), itemType: 'ec2' }));
    redis.hash(keys.accounts).set('222222222222', '{');
    redis
      .hash(keys.crawlStatus)
      .set(crawlStatusId(ACCOUNT, 's3'), JSON.stringify({ ...status, crawlType: 's3', itemCount: -1 }));
    expect(await reader.getSummaries([bucket.arn, role.arn])).toEqual([undefined, buildSummary(role)]);
    expect(await reader.listAccounts()).toEqual([account]);
    expect(await reader.listCrawlStatuses()).toEqual([status]);
    expect(warnings().map((w) => [w.key, w.field])).toEqual([
      [keys.summaries, bucket.arn],
      [keys.accounts, '222222222222'],
      [keys.crawlStatus, crawlStatusId(ACCOUNT, 's3')],
    ]);
    expect(reader.corruption()).toEqual({ entries: 3, reads: 3 });
  });
});

describe('freshness from the last complete crawl', () => {
  const later = { startedAt: '2030-01-01T00:00:00.000Z', crawlId: 'crawl-9', jobId: 'job-9' };
  const publish = (freshness: typeof later, version: string) => {
    redis.hash(keys.partitionFreshness).set(crawlStatusId(ACCOUNT, 'iam'), JSON.stringify(freshness));
    redis.strings.set(keys.partitionFreshnessVersion, version);
  };

  it("shows an item as seen by its partition's last complete crawl when that is later than its own write", async () => {
    publish(later, '1');
    expect(await reader.getItem(role.arn)).toMatchObject({
      firstSeenAt: role.firstSeenAt,
      lastSeenAt: later.startedAt,
      lastCrawlId: 'crawl-9',
      lastJobId: 'job-9',
    });
    expect((await reader.getSummaries([role.arn]))[0]?.lastSeenAt).toBe(later.startedAt);
    // Another partition's crawl says nothing about the bucket (crawl type s3).
    expect((await reader.getItem(bucket.arn))?.lastSeenAt).toBe(bucket.lastSeenAt);
  });

  it("keeps an item's own freshness when it was written after the partition's last complete crawl", async () => {
    publish({ ...later, startedAt: '2000-01-01T00:00:00.000Z' }, '1');
    expect(await reader.getItem(role.arn)).toMatchObject({
      lastSeenAt: role.lastSeenAt,
      lastCrawlId: role.lastCrawlId,
    });
  });

  it('reads the freshness again only when its version moved', async () => {
    publish(later, '1');
    expect((await reader.getItem(role.arn))?.lastJobId).toBe('job-9');
    redis
      .hash(keys.partitionFreshness)
      .set(
        crawlStatusId(ACCOUNT, 'iam'),
        JSON.stringify({ ...later, startedAt: '2031-01-01T00:00:00.000Z', jobId: 'job-10' }),
      );
    expect((await reader.getItem(role.arn))?.lastJobId).toBe('job-9');
    redis.strings.set(keys.partitionFreshnessVersion, '2');
    expect(await reader.getItem(role.arn)).toMatchObject({
      lastSeenAt: '2031-01-01T00:00:00.000Z',
      lastJobId: 'job-10',
    });
  });
});
