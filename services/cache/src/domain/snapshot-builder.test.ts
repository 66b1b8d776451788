import { gunzipSync } from 'node:zlib';
import type { CachedItem } from '@rolecall/shared/contracts';
import { describe, expect, it } from 'vitest';
import { createSnapshotBuilder } from './snapshot-builder.js';

const meta = {
  accountId: '111111111111',
  itemType: 'iam_role' as const,
  crawlId: 'crawl-1',
  generatedAt: '2026-11-26T00:00:00.000Z',
};
const item = (name: string): CachedItem => ({
  arn: `arn:aws:iam::111111111111:role/${name}`,
  itemType: 'iam_role',
  accountId: '111111111111',
  region: 'global',
  name,
  tags: { team: 'payments' },
  details: { description: 'x'.repeat(200) },
  firstSeenAt: meta.generatedAt,
  lastSeenAt: meta.generatedAt,
  lastCrawlId: 'crawl-1',
  lastJobId: 'job-1',
  contentHash: name,
});
const parse = (bytes: Buffer) => JSON.parse(gunzipSync(bytes).toString('utf8')) as unknown;

describe('snapshot builder', () => {
  it('writes the same JSON as the whole snapshot stringified, gzipped', async () => {
    const items = Array.from({ length: 2000 }, (_, i) => item(`role-${String(i).padStart(4, '0')}`));
    const builder = createSnapshotBuilder(meta);
    for (const each of items) await builder.add(each);
    const bytes = await builder.finish();

    expect(builder.count).toBe(2000);
    expect(parse(bytes)).toEqual({ ...meta, items });
    expect(gunzipSync(bytes).toString('utf8')).toBe(JSON.stringify({ ...meta, items }));
    expect(bytes.byteLength).toBeLessThan(JSON.stringify(items).length / 5);
  });

  it('writes an empty items array when nothing was added', async () => {
    const builder = createSnapshotBuilder(meta);
    expect(parse(await builder.finish())).toEqual({ ...meta, items: [] });
  });

  it('can be discarded half-built without leaving anything pending', async () => {
    const builder = createSnapshotBuilder(meta);
    await builder.add(item('a'));
    builder.discard();
    expect(builder.count).toBe(1);
  });
});
