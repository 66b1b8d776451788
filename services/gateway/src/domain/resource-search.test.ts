import type { AwsAccount, CachedItem, ItemSummary } from '@rolecall/shared/contracts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { IndexSelector, ReadModel } from './read-model.js';
import {
  matchesResourceFilter,
  parseTagFilter,
  searchResources,
  type ResourceFilter,
} from './resource-search.js';
import { findRole } from './role-lookup.js';

/** An in-memory copy of the read model, ordered as Redis orders a lexicographic sorted set. */
function memoryReadModel(
  summaries: ItemSummary[],
  items: CachedItem[] = [],
  accounts: AwsAccount[] = [],
): ReadModel {
  const byArn = new Map(summaries.map((s) => [s.arn, s]));
  const itemByArn = new Map(items.map((i) => [i.arn, i]));
  const sorted = [...byArn.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const inIndex = (index: IndexSelector, arn: string) => {
    const s = byArn.get(arn) as ItemSummary;
    return (
      index.kind === 'all' ||
      (index.kind === 'itemType' ? s.itemType === index.itemType : s.accountId === index.accountId)
    );
  };
  return {
    getItem: (arn) => Promise.resolve(itemByArn.get(arn)),
    getSummaries: (arns) => Promise.resolve(arns.map((a) => byArn.get(a))),
    rangeIndex: (index, range) =>
      Promise.resolve(
        sorted
          .filter((arn) => inIndex(index, arn))
          .filter((arn) =>
            range.after !== undefined ? arn > range.after : range.from === undefined || arn >= range.from,
          )
          .filter((arn) => range.before === undefined || arn < range.before)
          .slice(0, range.count),
      ),
    countIndex: (index) => Promise.resolve(sorted.filter((arn) => inIndex(index, arn)).length),
    listAccounts: () => Promise.resolve(accounts),
    listCrawlStatuses: () => Promise.resolve([]),
  };
}

const summaryArb = fc.record({
  account: fc.constantFrom('111111111111', '222222222222'),
  kind: fc.constantFrom<'iam_role' | 's3_bucket'>('iam_role', 's3_bucket'),
  name: fc.stringMatching(/^[a-z]{1,6}$/),
  tier: fc.option(fc.constantFrom('gold', 'silver'), { nil: undefined }),
});

interface GeneratedItem {
  account: string;
  kind: 'iam_role' | 's3_bucket';
  name: string;
  tier: string | undefined;
}

const toSummary = (s: GeneratedItem): ItemSummary => ({
  arn:
    s.kind === 'iam_role'
      ? `arn:aws:iam::${s.account}:role/${s.name}`
      : `arn:aws:s3:::${s.account}-${s.name}`,
  itemType: s.kind,
  technology: 'x',
  accountId: s.account,
  region: 'global',
  name: s.name,
  tags: s.tier ? { tier: s.tier } : {},
  lastSeenAt: 't',
});

describe('searchResources', () => {
  it('pages through exactly the matching items, in order, whatever the limit, chunk and scan limits', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(summaryArb, { maxLength: 60 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 30 }),
        fc.record({
          itemType: fc.option(fc.constantFrom<'iam_role' | 's3_bucket'>('iam_role', 's3_bucket'), {
            nil: undefined,
          }),
          accountId: fc.option(fc.constant('111111111111'), { nil: undefined }),
          query: fc.option(fc.constantFrom('A', 'b'), { nil: undefined }),
        }),
        async (raw, limit, chunkSize, scanLimit, rawFilter) => {
          const summaries = [...new Map(raw.map(toSummary).map((s) => [s.arn, s])).values()];
          const filter = Object.fromEntries(
            Object.entries(rawFilter).filter(([, v]) => v !== undefined),
          ) as ResourceFilter;
          const readModel = memoryReadModel(summaries);
          const seen: string[] = [];
          let after: string | undefined;
          for (let page = 0; page < 1000; page += 1) {
            const result = await searchResources(readModel, {
              filter,
              limit,
              chunkSize,
              scanLimit,
              ...(after === undefined ? {} : { after }),
            });
            expect(result.items.length).toBeLessThanOrEqual(limit);
            seen.push(...result.items.map((i) => i.arn));
            if (result.nextAfter === null) break;
            after = result.nextAfter;
          }
          const expected = summaries
            .filter((s) => matchesResourceFilter(s, filter))
            .map((s) => s.arn)
            .sort();
          expect(seen).toEqual(expected);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('parses tag filters at the first equals sign and refuses an empty key', () => {
    expect(parseTagFilter('env')).toEqual({ key: 'env' });
    expect(parseTagFilter('k=a=b')).toEqual({ key: 'k', value: 'a=b' });
    expect(parseTagFilter('k=')).toEqual({ key: 'k', value: '' });
    expect(() => parseTagFilter('=v')).toThrowError(
      expect.objectContaining({ code: 'VALIDATION_FAILED' }) as Error,
    );
  });
});

describe('findRole', () => {
  const role = (arn: string, accountId: string): CachedItem => ({
    arn,
    itemType: 'iam_role',
    accountId,
    region: 'global',
    name: arn.slice(arn.lastIndexOf('/') + 1),
    tags: {},
    details: {},
    firstSeenAt: 't',
    lastSeenAt: 't',
    lastCrawlId: 'c',
    lastJobId: 'j',
    contentHash: 'h',
  });
  const items = [
    role('arn:aws:iam::111111111111:role/a/b/Deep', '111111111111'),
    role('arn:aws:iam::111111111111:role/Other', '111111111111'),
    role('arn:aws-cn:iam::222222222222:role/China', '222222222222'),
  ];
  const summaries = items.map((i) => ({ ...i, technology: 'AWS::IAM::Role', lastSeenAt: i.lastSeenAt }));
  const readModel = memoryReadModel(
    summaries.map(({ arn, itemType, technology, accountId, region, name, tags, lastSeenAt }) => ({
      arn,
      itemType,
      technology,
      accountId,
      region,
      name,
      tags,
      lastSeenAt,
    })),
    items,
  );

  it('finds roles under a path, in another partition, and ignoring case, but only in the asked account', async () => {
    expect((await findRole(readModel, '111111111111', 'Deep', 1))?.arn).toBe(
      'arn:aws:iam::111111111111:role/a/b/Deep',
    );
    expect((await findRole(readModel, '111111111111', 'deep', 1))?.arn).toBe(
      'arn:aws:iam::111111111111:role/a/b/Deep',
    );
    expect((await findRole(readModel, '222222222222', 'China', 2))?.arn).toBe(
      'arn:aws-cn:iam::222222222222:role/China',
    );
    expect(await findRole(readModel, '222222222222', 'Deep', 2)).toBeUndefined();
  });
});
