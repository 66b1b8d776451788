import type { FreshnessFields, IndexRange, IndexSelector, RedisCacheReader } from '@rolecall/cache/reader';
import type { CachedItem, ItemSummary } from '@rolecall/shared/contracts';
import type { ResourceIndex } from './resource-index.js';

export type { IndexRange, IndexSelector };

/**
 * The read side of the cache as the gateway sees it: the part of the cache's own reader
 * (`@rolecall/cache/reader`) it uses, which checks every entry and hands back a corrupt one as absent.
 * A port so that domain logic can be tested with an in-memory copy.
 */
export type ReadModel = Pick<
  RedisCacheReader,
  'getSummaries' | 'rangeIndex' | 'countIndex' | 'listAccounts' | 'listCrawlStatuses'
> & {
  /** The reader's items are typed by item type (`TypedCachedItem`); an in-memory copy may be looser. */
  getItem(arn: string): Promise<CachedItem | undefined>;
};

/** Walks an index in chunks, so memory stays flat however large the inventory is. */
export async function* walkIndex(
  readModel: ReadModel,
  index: IndexSelector,
  options: { after?: string; from?: string; before?: string; chunkSize: number },
): AsyncGenerator<string[]> {
  let after = options.after;
  for (;;) {
    const arns = await readModel.rangeIndex(index, {
      ...(after === undefined ? (options.from === undefined ? {} : { from: options.from }) : { after }),
      ...(options.before === undefined ? {} : { before: options.before }),
      count: options.chunkSize,
    });
    if (arns.length > 0) yield arns;
    if (arns.length < options.chunkSize) return;
    after = arns[arns.length - 1];
  }
}

/**
 * Every summary in ARN order, in chunks: from the in-memory index when it is current (one chunk, a copy
 * taken at once, so a scan that pauses between rows sees one state), else read from Redis chunk by chunk.
 */
export async function* everySummary(
  readModel: ReadModel,
  index: ResourceIndex | undefined,
  chunkSize: number,
): AsyncGenerator<(ItemSummary | undefined)[]> {
  if (index) {
    yield [...index.walk({})];
    return;
  }
  for await (const arns of walkIndex(readModel, { kind: 'all' }, { chunkSize })) {
    yield await readModel.getSummaries(arns);
  }
}

/** What a read route gets for one request: the accounts' names, and the index when it is current. */
export interface CatalogView {
  /** Undefined while the index loads, resyncs or has lost its event feed: read Redis instead. */
  index: ResourceIndex | undefined;
  accountName: (accountId: string) => string;
  /**
   * A summary as the API shows it: `lastSeenAt` the later of its own and its partition's last complete
   * crawl. Apply it to what the index gives; what Redis gives is fresh already (applying it again is
   * harmless).
   */
  freshen: <T extends FreshnessFields>(summary: T) => T;
}

/** The read routes' way in: an in-memory index of the cache's summaries, kept current by its events. */
export interface Catalog {
  /**
   * Fails fast with REDIS_UNAVAILABLE while Redis is down, as a read of Redis would. The cache's
   * markers (accounts replaced, Redis refilled: changes no event announces) are read again when the
   * last read is older than a quarter of a second, one read shared by the requests meanwhile.
   */
  view(): Promise<CatalogView>;
}
