import type { ItemSummary } from '@rolecall/shared/contracts';

/**
 * What a walk of the index may skip without looking at an entry: every hint is a necessary condition of
 * a match, never a sufficient one, so the caller still checks each entry the walk yields with its exact
 * predicate (`matchesResourceFilter`, `matchesArnTypeahead`…), and the semantics stay those of that
 * predicate.
 */
export interface IndexHints {
  /** Lower-cased text that a match contains in its lower-cased ARN or name. */
  needle?: string;
  accountId?: string;
  itemType?: string;
  /** A tag key every match carries. */
  tagKey?: string;
  /** With `tagKey`: the value every match has under it. */
  tagValue?: string;
}

/** The in-memory copy of the cache's summaries, in ARN order (see createResourceIndex). */
export interface ResourceIndex {
  readonly size: number;
  get(arn: string): ItemSummary | undefined;
  /**
   * Puts a summary unless the index holds a newer one of that ARN (a later `lastSeenAt`), as the
   * cache's own Redis writer does, so events replayed or delivered late never put older data back.
   */
  upsert(summary: ItemSummary): boolean;
  /**
   * Removes an item that a sweep deleted, unless the index holds a copy seen after the deleted one
   * (`lastSeenAt` later than `deletedLastSeenAt`): a newer crawl that found it again wins.
   */
  remove(arn: string, deletedLastSeenAt: string): boolean;
  /** Builds what searches use now, so the first searches after a load do not pay for it. */
  prepare(): void;
  /** Entries after `after` (exclusive) in ARN order that may match the hints. */
  walk(hints: IndexHints, after?: string): Generator<ItemSummary>;
}

/**
 * A block of consecutive entries. Blocks keep inserts and deletes cheap (one splice of a short array)
 * and carry what makes a selective search fast: the lower-cased ARNs and names of the block joined into
 * one string, searched with `indexOf` (native, much faster than one `includes` per entry), and the sets
 * of accounts, item types and tag keys present, which let a walk skip the block whole. Both are built
 * on first use after a change, so a burst of change events rebuilds each block once.
 */
interface Block {
  entries: ItemSummary[];
  haystack?: string;
  /** starts[i]: where entry i begins in the haystack. */
  starts?: Int32Array;
  /** A Bloom filter of the haystack's three-character sequences (see `trigramsOf`). */
  trigrams?: Uint32Array;
  accounts?: Set<string>;
  itemTypes?: Set<string>;
  tagKeys?: Set<string>;
  /** `key` NUL `value` of every tag in the block. */
  tags?: Set<string>;
}

const BLOCK_SPLIT = 1024;
/** Bits of a block's trigram filter: a block of 512 ARNs holds some 10-20 thousand distinct trigrams. */
const TRIGRAM_BITS = 1 << 16;

/** One of TRIGRAM_BITS for the three characters ending at `at`. */
const trigramBit = (text: string, at: number) =>
  (Math.imul(
    (text.charCodeAt(at - 2) << 16) ^ (text.charCodeAt(at - 1) << 8) ^ text.charCodeAt(at),
    0x9e3779b1,
  ) >>>
    16) &
  (TRIGRAM_BITS - 1);

/**
 * The bits of a text's trigrams. A block whose filter lacks one of the needle's bits cannot contain
 * the needle, so a selective search skips almost every block without searching its text; a needle
 * shorter than three characters has no trigram and searches every block.
 */
function trigramsOf(text: string): number[] {
  const bits: number[] = [];
  for (let at = 2; at < text.length; at += 1) bits.push(trigramBit(text, at));
  return bits;
}
const BLOCK_TARGET = 512;
/** Cannot occur in a lower-cased ARN or name that the needle could match across. */
const FIELD_SEPARATOR = '\u0000';

/**
 * ARN order. Redis orders the cache's index by bytes; for the ASCII that ARNs are made of, JavaScript's
 * code-unit order is the same, so cursors mean the same ARN position whichever path served the page.
 */
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function createResourceIndex(initial: Iterable<ItemSummary> = []): ResourceIndex {
  const byArn = new Map<string, ItemSummary>();
  for (const summary of initial) {
    const held = byArn.get(summary.arn);
    if (held === undefined || held.lastSeenAt <= summary.lastSeenAt) byArn.set(summary.arn, summary);
  }
  const sorted = [...byArn.values()].sort((a, b) => compare(a.arn, b.arn));
  const blocks: Block[] = [];
  for (let i = 0; i < sorted.length; i += BLOCK_TARGET) {
    blocks.push({ entries: sorted.slice(i, i + BLOCK_TARGET) });
  }

  /** The block that holds `arn` or where it would go: the last block whose first ARN is ≤ arn. */
  const blockOf = (arn: string): number => {
    let low = 0;
    let high = blocks.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (compare((blocks[mid] as Block).entries[0]?.arn ?? '', arn) <= 0) low = mid;
      else high = mid - 1;
    }
    return low;
  };

  /** First position in the block whose ARN is ≥ arn (or > arn when `strict`). */
  const positionIn = (block: Block, arn: string, strict: boolean): number => {
    let low = 0;
    let high = block.entries.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      const c = compare((block.entries[mid] as ItemSummary).arn, arn);
      if (c < 0 || (strict && c === 0)) low = mid + 1;
      else high = mid;
    }
    return low;
  };

  const changed = (block: Block) => {
    delete block.haystack;
    delete block.starts;
    delete block.trigrams;
    delete block.accounts;
    delete block.itemTypes;
    delete block.tagKeys;
    delete block.tags;
  };

  const describe = (block: Block) => {
    if (block.accounts !== undefined) return;
    const accounts = new Set<string>();
    const itemTypes = new Set<string>();
    const tagKeys = new Set<string>();
    const tags = new Set<string>();
    for (const entry of block.entries) {
      accounts.add(entry.accountId);
      itemTypes.add(entry.itemType);
      for (const [key, value] of Object.entries(entry.tags)) {
        tagKeys.add(key);
        tags.add(`${key}\u0000${value}`);
      }
    }
    Object.assign(block, { accounts, itemTypes, tagKeys, tags });
  };

  const haystackOf = (block: Block): { haystack: string; starts: Int32Array; trigrams: Uint32Array } => {
    if (block.haystack === undefined || block.starts === undefined || block.trigrams === undefined) {
      const starts = new Int32Array(block.entries.length + 1);
      const parts: string[] = [];
      let length = 0;
      block.entries.forEach((entry, i) => {
        starts[i] = length;
        // Lower-cased field by field: lower-casing can change a string's length, and the offsets
        // must point into the string that is searched.
        const part = `${entry.arn.toLowerCase()}${FIELD_SEPARATOR}${entry.name.toLowerCase()}${FIELD_SEPARATOR}`;
        parts.push(part);
        length += part.length;
      });
      starts[block.entries.length] = length;
      const haystack = parts.join('');
      const trigrams = new Uint32Array(TRIGRAM_BITS / 32);
      for (let at = 2; at < haystack.length; at += 1) {
        const bit = trigramBit(haystack, at);
        trigrams[bit >>> 5] = (trigrams[bit >>> 5] as number) | (1 << (bit & 31));
      }
      Object.assign(block, { haystack, starts, trigrams });
      return { haystack, starts, trigrams };
    }
    return { haystack: block.haystack, starts: block.starts, trigrams: block.trigrams };
  };

  /** The entry whose span of the haystack holds `offset`. */
  const entryAt = (starts: Int32Array, offset: number): number => {
    let low = 0;
    let high = starts.length - 2;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((starts[mid] as number) <= offset) low = mid;
      else high = mid - 1;
    }
    return low;
  };

  const skips = (block: Block, hints: IndexHints): boolean => {
    if (hints.accountId === undefined && hints.itemType === undefined && hints.tagKey === undefined)
      return false;
    describe(block);
    return (
      (hints.accountId !== undefined && !block.accounts?.has(hints.accountId)) ||
      (hints.itemType !== undefined && !block.itemTypes?.has(hints.itemType)) ||
      (hints.tagKey !== undefined && !block.tagKeys?.has(hints.tagKey)) ||
      (hints.tagKey !== undefined &&
        hints.tagValue !== undefined &&
        !block.tags?.has(`${hints.tagKey}\u0000${hints.tagValue}`))
    );
  };

  return {
    get size() {
      return byArn.size;
    },

    get: (arn) => byArn.get(arn),

    upsert(summary) {
      const held = byArn.get(summary.arn);
      if (held !== undefined && held.lastSeenAt > summary.lastSeenAt) return false;
      byArn.set(summary.arn, summary);
      if (blocks.length === 0) blocks.push({ entries: [] });
      const block = blocks[blockOf(summary.arn)] as Block;
      const at = positionIn(block, summary.arn, false);
      if (held !== undefined) block.entries[at] = summary;
      else block.entries.splice(at, 0, summary);
      changed(block);
      if (block.entries.length > BLOCK_SPLIT) {
        const index = blocks.indexOf(block);
        blocks.splice(index + 1, 0, { entries: block.entries.splice(BLOCK_TARGET) });
      }
      return true;
    },

    remove(arn, deletedLastSeenAt) {
      const held = byArn.get(arn);
      if (held === undefined || held.lastSeenAt > deletedLastSeenAt) return false;
      byArn.delete(arn);
      const index = blockOf(arn);
      const block = blocks[index] as Block;
      block.entries.splice(positionIn(block, arn, false), 1);
      changed(block);
      if (block.entries.length === 0 && blocks.length > 1) blocks.splice(index, 1);
      return true;
    },

    prepare() {
      for (const block of blocks) {
        describe(block);
        haystackOf(block);
      }
    },

    *walk(hints, after) {
      const needle = hints.needle === undefined || hints.needle === '' ? undefined : hints.needle;
      const needleBits = needle === undefined ? [] : trigramsOf(needle);
      for (let b = after === undefined ? 0 : blockOf(after); b < blocks.length; b += 1) {
        const block = blocks[b] as Block;
        const first = after === undefined ? 0 : positionIn(block, after, true);
        if (first >= block.entries.length || skips(block, hints)) continue;
        if (needle === undefined) {
          for (let i = first; i < block.entries.length; i += 1) yield block.entries[i] as ItemSummary;
          continue;
        }
        const { haystack, starts, trigrams } = haystackOf(block);
        if (needleBits.some((bit) => ((trigrams[bit >>> 5] as number) & (1 << (bit & 31))) === 0)) continue;
        let from = starts[first] as number;
        for (;;) {
          const hit = haystack.indexOf(needle, from);
          if (hit === -1) break;
          const i = entryAt(starts, hit);
          // The entries may change between two steps of a paused walk; a stale position ends the block.
          const entry = block.entries[i];
          if (entry === undefined) break;
          yield entry;
          from = starts[i + 1] as number;
        }
      }
    },
  };
}
