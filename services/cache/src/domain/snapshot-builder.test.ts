import { once } from 'node:events';
import type * as Zlib from 'node:zlib';
import { gunzipSync, type Gzip } from 'node:zlib';
import type { CachedItem } from '@rolecall/shared/contracts';
import { describe, expect, it, vi } from 'vitest';
import { createSnapshotBuilder } from './snapshot-builder.js';

/** Every compressor a builder creates, so a test can see what discarding does to it. */
const gzips = vi.hoisted(() => [] as Gzip[]);
vi.mock('node:zlib', async (importOriginal) => {
  const zlib = await importOriginal<typeof Zlib>();
  return {
    ...zlib,
    createGzip: (...args: Parameters<typeof Zlib.createGzip>) => {
      const gzip = zlib.createGzip(...args);
      gzips.push(gzip);
      return gzip;
    },
  };
});

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

  it('can be discarded half-built, closing its compressor without an error', async () => {
    const builder = createSnapshotBuilder(meta);
    await builder.add(item('a'));
    const gzip = gzips.at(-1);
    if (!gzip) throw new Error('the builder created no gzip stream');
    const closed = once(gzip, 'close');
    expect(gzip.destroyed).toBe(false);

    builder.discard();

    // Destroyed at once (zlib's memory freed, nothing more written), and without an error, which would
    // otherwise reject the builder's wait for the end: nothing is left pending or unhandled.
    expect(gzip.destroyed).toBe(true);
    await closed;
    expect(gzip.errored).toBeNull();
  });
});
