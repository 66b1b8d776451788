import type { ItemSummary, ItemType } from '@rolecall/shared/contracts';
import { AppError } from '@rolecall/shared/errors';
import { walkIndex, type IndexSelector, type ReadModel } from './read-model.js';
import type { IndexHints, ResourceIndex } from './resource-index.js';

export interface TagFilter {
  key: string;
  value?: string;
}

export interface ResourceFilter {
  /** Case-insensitive substring of the ARN or the name. */
  query?: string;
  itemType?: ItemType;
  accountId?: string;
  tag?: TagFilter;
}

/** `key` matches any value; `key=value` matches that value exactly (split at the first `=`). */
export function parseTagFilter(raw: string): TagFilter {
  const at = raw.indexOf('=');
  const key = at === -1 ? raw : raw.slice(0, at);
  if (key.length === 0 || key.length > 128) {
    throw new AppError(
      'VALIDATION_FAILED',
      'querystring/tag: expected `key` or `key=value` with a key of 1-128 characters',
      {
        context: { field: 'tag' },
      },
    );
  }
  return at === -1 ? { key } : { key, value: raw.slice(at + 1) };
}

export function matchesResourceFilter(summary: ItemSummary, filter: ResourceFilter): boolean {
  if (filter.itemType !== undefined && summary.itemType !== filter.itemType) return false;
  if (filter.accountId !== undefined && summary.accountId !== filter.accountId) return false;
  if (filter.tag) {
    const value = summary.tags[filter.tag.key];
    if (value === undefined) return false;
    if (filter.tag.value !== undefined && value !== filter.tag.value) return false;
  }
  if (filter.query) {
    const needle = filter.query.toLowerCase();
    if (!summary.arn.toLowerCase().includes(needle) && !summary.name.toLowerCase().includes(needle))
      return false;
  }
  return true;
}

/** The narrowest index that still contains every match. */
export function chooseIndex(filter: ResourceFilter): IndexSelector {
  if (filter.accountId !== undefined) return { kind: 'account', accountId: filter.accountId };
  if (filter.itemType !== undefined) return { kind: 'itemType', itemType: filter.itemType };
  return { kind: 'all' };
}

export interface SearchPageOptions {
  filter: ResourceFilter;
  limit: number;
  /** Continue after this ARN (decoded cursor). */
  after?: string;
  chunkSize: number;
  /**
   * Most index entries one page may look at. A very selective filter over a large inventory then
   * answers with a short (even empty) page and a cursor, instead of one unbounded request.
   */
  scanLimit: number;
}

export interface SearchPage {
  items: ItemSummary[];
  /** Where the next page starts, or null when the index has been walked to its end. */
  nextAfter: string | null;
}

/**
 * One page of matches in ARN order. It reads one match past the limit before offering a next page, so
 * the last page never comes back empty when the results end exactly at a page boundary.
 */
export async function searchResources(readModel: ReadModel, options: SearchPageOptions): Promise<SearchPage> {
  const items: ItemSummary[] = [];
  let scanned = 0;
  let position = options.after;
  const index = chooseIndex(options.filter);
  for await (const arns of walkIndex(readModel, index, {
    ...(options.after === undefined ? {} : { after: options.after }),
    chunkSize: options.chunkSize,
  })) {
    const summaries = await readModel.getSummaries(arns);
    for (const [i, arn] of arns.entries()) {
      const summary = summaries[i];
      if (summary && matchesResourceFilter(summary, options.filter)) {
        if (items.length === options.limit) {
          return { items, nextAfter: (items[items.length - 1] as ItemSummary).arn };
        }
        items.push(summary);
      }
      position = arn;
      scanned += 1;
      if (scanned >= options.scanLimit) return { items, nextAfter: position };
    }
  }
  return { items, nextAfter: null };
}

/** What every match of the filter must have, for the index to skip the rest. */
export function hintsOf(filter: ResourceFilter): IndexHints {
  return {
    ...(filter.query ? { needle: filter.query.toLowerCase() } : {}),
    ...(filter.accountId === undefined ? {} : { accountId: filter.accountId }),
    ...(filter.itemType === undefined ? {} : { itemType: filter.itemType }),
    ...(filter.tag === undefined ? {} : { tagKey: filter.tag.key }),
    ...(filter.tag?.value === undefined ? {} : { tagValue: filter.tag.value }),
  };
}

/**
 * The same page as `searchResources`, from the in-memory index: every match is found in this one
 * request however selective the filter (no scan limit, so no empty page with a cursor), since the index
 * skips what cannot match without looking at it.
 */
export function searchIndex(
  index: ResourceIndex,
  options: Pick<SearchPageOptions, 'filter' | 'limit' | 'after'>,
): SearchPage {
  const items: ItemSummary[] = [];
  for (const summary of index.walk(hintsOf(options.filter), options.after)) {
    if (!matchesResourceFilter(summary, options.filter)) continue;
    if (items.length === options.limit)
      return { items, nextAfter: (items[items.length - 1] as ItemSummary).arn };
    items.push(summary);
  }
  return { items, nextAfter: null };
}
