import { jetstream } from '@nats-io/jetstream';
import type { CachedItem, ChangeKind } from '@rolecall/shared/contracts';
import { redisKeys } from '@rolecall/shared/redis';
import { cachedItem, eventually } from '@rolecall/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJetStreamChangePublisher } from '../../cache/src/adapters/jetstream-change-publisher.js';
import { createRedisReadModel } from '../../cache/src/adapters/redis-read-model.js';
import { startSeededGateway, type SeededGateway } from './support/seeded-gateway.js';
import { ACCOUNTS, PROD, USER } from './seed.js';

const prefix = 'gw-live:';
const BASE = 100;
let gateway: SeededGateway;

const role = (name: string, stage: string, seenAt: string): CachedItem =>
  cachedItem({
    arn: `arn:aws:iam::${PROD}:role/${name}`,
    itemType: 'iam_role',
    accountId: PROD,
    name,
    tags: { stage },
    lastSeenAt: seenAt,
  });

const T0 = '2026-03-01T10:00:00.000Z';
const T1 = '2026-03-01T11:00:00.000Z';

beforeAll(async () => {
  gateway = await startSeededGateway({
    prefix,
    seed: {
      items: Array.from({ length: BASE }, (_, i) => role(`batch-${String(i).padStart(3, '0')}`, 'old', T0)),
      accounts: ACCOUNTS,
    },
  });
});

afterAll(async () => {
  await gateway.stop();
});

/** What services/cache does for one change: its own Redis writer and its own event publisher, in its order. */
function cache() {
  const writer = createRedisReadModel({ redis: gateway.redis, keys: redisKeys(prefix) });
  const publisher = createJetStreamChangePublisher({ js: jetstream(gateway.nc), source: 'test-cache' });
  const announce = (change: ChangeKind, item: CachedItem, before?: CachedItem) =>
    publisher.publish({
      change,
      arn: item.arn,
      itemType: item.itemType,
      accountId: item.accountId,
      crawlId: `crawl-${item.lastSeenAt}`,
      jobId: `job-${item.lastSeenAt}`,
      ...(before ? { before } : {}),
      ...(change === 'deleted' ? {} : { after: item }),
    });
  return {
    writer,
    put: async (change: 'created' | 'updated', item: CachedItem, before?: CachedItem) => {
      await writer.putItem(item);
      await announce(change, item, before);
    },
    // The cache announces a deletion before it removes the item from Redis.
    remove: async (item: CachedItem) => {
      await announce('deleted', item, item);
      await writer.removeItem(item, T1);
    },
  };
}

async function search(query: string): Promise<{ arn: string; tags: Record<string, string> }[]> {
  const response = await gateway.app.inject({
    method: 'GET',
    url: `/api/v3/resources?limit=500&${query}`,
    headers: USER,
  });
  expect(response.statusCode).toBe(200);
  return response.json<{ data: { arn: string; tags: Record<string, string> }[] }>().data;
}

describe('the gateway index of the cache, kept current by its change events', () => {
  it('answers searches while items change, each answer true to its filter, and ends with exactly the changes made', async () => {
    const { put, remove } = cache();
    const expected = new Map<string, string>();
    for (let i = 0; i < BASE; i += 1)
      expected.set(`arn:aws:iam::${PROD}:role/batch-${String(i).padStart(3, '0')}`, 'old');
    let writing = true;
    const writes = (async () => {
      for (let i = 0; i < BASE; i += 1) {
        const name = `batch-${String(i).padStart(3, '0')}`;
        const before = role(name, 'old', T0);
        if (i % 10 === 0) {
          await remove(before);
          expected.delete(before.arn);
        } else {
          await put('updated', role(name, 'new', T1), before);
          expected.set(before.arn, 'new');
        }
        const fresh = role(`fresh-${String(i).padStart(3, '0')}`, 'new', T1);
        await put('created', fresh);
        expected.set(fresh.arn, 'new');
      }
      writing = false;
    })();
    let answers = 0;
    while (writing) {
      const [fresh, old] = await Promise.all([
        search('tag=stage%3Dnew'),
        search('tag=stage%3Dold&query=BATCH'),
      ]);
      for (const item of fresh) expect(item.tags.stage).toBe('new');
      for (const item of old) {
        expect(item.tags.stage).toBe('old');
        expect(item.arn).toContain('batch-');
      }
      answers += 1;
      // inject() never touches a socket and the index answers without I/O: without this pause the loop
      // would run on promises alone and starve the writes of their turn.
      await new Promise((resolve) => setImmediate(resolve));
    }
    await writes;
    expect(answers).toBeGreaterThan(0);
    const want = (stage: string) =>
      [...expected]
        .filter(([, s]) => s === stage)
        .map(([arn]) => arn)
        .sort();
    await eventually(
      async () =>
        (await search('tag=stage%3Dnew')).map((i) => i.arn).join() === want('new').join() ? true : undefined,
      async () => `tag search: ${(await search('tag=stage%3Dnew')).length} items, want ${want('new').length}`,
      10_000,
    );
    expect((await search('tag=stage%3Dold')).map((i) => i.arn)).toEqual(want('old'));
    expect((await search('query=batch-')).map((i) => i.arn)).toEqual(
      [...expected.keys()].filter((arn) => arn.includes('batch-')).sort(),
    );
    // The answers came from the index, not from its Redis fallback.
    expect(gateway.catalog.isCurrent()).toBe(true);
  });

  it('reloads from Redis after losing its event feed, so a change it was not told about is not missed', async () => {
    const { writer } = cache();
    // Written to Redis with no event: what the index would never learn from its feed.
    const unannounced = role('unannounced', 'quiet', T1);
    await writer.putItem(unannounced);
    expect(gateway.catalog.isCurrent()).toBe(true);
    expect(await search('tag=stage%3Dquiet')).toEqual([]);

    await gateway.nats.restart();
    await eventually(
      async () => ((await search('tag=stage%3Dquiet')).length === 1 ? true : undefined),
      'the index to reload from Redis once NATS was back',
      20_000,
    );
    await gateway.catalog.whenCurrent();
    expect((await search('tag=stage%3Dquiet')).map((i) => i.arn)).toEqual([unannounced.arn]);
  });

  it('reloads when the cache refilled Redis (its refill marker moved)', async () => {
    const { writer } = cache();
    const refilled = role('refilled', 'refill', T1);
    await writer.putItem(refilled);
    expect(await search('tag=stage%3Drefill')).toEqual([]);
    await writer.markLoaded(new Date().toISOString());
    await eventually(
      async () => ((await search('tag=stage%3Drefill')).length === 1 ? true : undefined),
      'the index to reload after the refill marker moved',
      20_000,
    );
  });
});
