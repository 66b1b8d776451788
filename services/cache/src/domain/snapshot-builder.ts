import { once } from 'node:events';
import { createGzip } from 'node:zlib';
import type { CachedItem, ItemType } from '@rolecall/shared/contracts';

export interface SnapshotMeta {
  accountId: string;
  itemType: ItemType;
  crawlId: string;
  generatedAt: string;
}

export interface SnapshotBuilder {
  readonly meta: SnapshotMeta;
  /** Appends one item; callers add them in ARN order. */
  add(item: CachedItem): Promise<void>;
  readonly count: number;
  /** The gzipped JSON `{...meta, items: [...]}`. */
  finish(): Promise<Buffer>;
  /** Drops what was built (the sweep failed; the message will be handled again). */
  discard(): void;
}

/**
 * Builds one snapshot's gzipped JSON while the sweep reads the partition, so the cache holds the
 * compressed bytes rather than every item of an account at once: its memory stays flat as accounts grow.
 */
export function createSnapshotBuilder(meta: SnapshotMeta): SnapshotBuilder {
  const gzip = createGzip();
  const chunks: Buffer[] = [];
  gzip.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = once(gzip, 'end');
  let count = 0;
  const write = async (text: string) => {
    if (!gzip.write(text)) await once(gzip, 'drain');
  };
  // The meta object without its closing brace, then the items array.
  const opening = write(`${JSON.stringify(meta).slice(0, -1)},"items":[`);

  return {
    meta,
    get count() {
      return count;
    },
    async add(item) {
      await opening;
      await write(`${count === 0 ? '' : ','}${JSON.stringify(item)}`);
      count += 1;
    },
    async finish() {
      await opening;
      gzip.end(']}');
      await ended;
      return Buffer.concat(chunks);
    },
    discard() {
      gzip.destroy();
      chunks.length = 0;
    },
  };
}
