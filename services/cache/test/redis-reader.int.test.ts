import { Writable } from 'node:stream';
import type { AwsAccount, CachedItem } from '@rolecall/shared/contracts';
import { createLogger } from '@rolecall/shared/log';
import { createRedis, redisKeys, type Redis } from '@rolecall/shared/redis';
import { startRedis, type RunningServer } from '@rolecall/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisReadModel } from '../src/adapters/redis-read-model.js';
import { buildSummary } from '../src/domain/summary.js';
import { createRedisCacheReader } from '../src/reader/index.js';

const A = '111111111111';
const keys = redisKeys('reader:');

let server: RunningServer;
let redis: Redis;
const lines: Record<string, unknown>[] = [];
const log = createLogger({
  service: 'test',
  destination: new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) {
        if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  }),
});

const item = (name: string, details: Record<string, unknown>): CachedItem => ({
  arn: `arn:aws:iam::${A}:role/${name}`,
  itemType: 'iam_role',
  accountId: A,
  region: 'global',
  name,
  tags: { team: 'platform' },
  details,
  firstSeenAt: '2026-01-01T00:00:00.000Z',
  lastSeenAt: '2026-01-02T00:00:00.000Z',
  lastCrawlId: 'crawl-1',
  lastJobId: 'job-1',
  contentHash: 'h',
});
const roleDetails = {
  path: '/',
  roleId: 'AROA1',
  assumeRolePolicyDocument: { Version: '2012-10-17', Statement: [] },
  inlinePolicies: [],
  managedPolicies: [],
};
const account: AwsAccount = { id: A, name: 'prod', status: 'ACTIVE' };

beforeAll(async () => {
  server = await startRedis();
  redis = createRedis(server.url, 'reader-test');
});

afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
});

describe('the cache reader against what the cache writer stores in Redis', () => {
  it('reads back every item, summary, index entry, account and status the writer wrote', async () => {
    const writer = createRedisReadModel({ redis, keys });
    const reader = createRedisCacheReader({ redis, keys, log });
    const deploy = item('deploy', roleDetails);
    await writer.putItem(deploy);
    await writer.replaceAccounts([account], '2026-01-02T00:00:00.000Z');
    await writer.putStatus({ accountId: A, crawlType: 'iam', running: false, itemCount: 1, revision: 3 });

    expect(await reader.getItem(deploy.arn)).toEqual(deploy);
    expect(await reader.getSummaries([deploy.arn])).toEqual([buildSummary(deploy)]);
    expect(await reader.rangeIndex({ kind: 'itemType', itemType: 'iam_role' }, { count: 10 })).toEqual([
      deploy.arn,
    ]);
    expect(await reader.countIndex({ kind: 'account', accountId: A })).toBe(1);
    expect(await reader.listAccounts()).toEqual([account]);
    expect(await reader.listCrawlStatuses()).toEqual([
      { accountId: A, crawlType: 'iam', running: false, itemCount: 1, revision: 3 },
    ]);
    expect(reader.corruption()).toEqual({ entries: 0, reads: 0 });
  });

  it("reads an item the writer stored with details that are not a role's as absent, logged once", async () => {
    const writer = createRedisReadModel({ redis, keys });
    const reader = createRedisCacheReader({ redis, keys, log });
    const broken = item('broken', { path: '/' });
    await writer.putItem(broken);
    await redis.hset(keys.summaries, `arn:aws:iam::${A}:role/garbled`, '{"arn":');

    expect(await reader.getItem(broken.arn)).toBeUndefined();
    expect(await reader.getItem(broken.arn)).toBeUndefined();
    expect(await reader.getSummaries([`arn:aws:iam::${A}:role/garbled`, broken.arn])).toEqual([
      undefined,
      buildSummary(broken),
    ]);
    expect(lines.filter((l) => l.level === 40).map((l) => [l.key, l.field])).toEqual([
      [keys.item(broken.arn), undefined],
      [keys.summaries, `arn:aws:iam::${A}:role/garbled`],
    ]);
    expect(reader.corruption()).toEqual({ entries: 2, reads: 3 });
  });
});
