import type { ItemSummary } from '@rolecall/shared/contracts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createResourceIndex } from './resource-index.js';
import { matchesResourceFilter, searchIndex, type ResourceFilter } from './resource-search.js';

const ACCOUNTS = ['111111111111', '222222222222', '333333333333'];

function summary(n: number, overrides: Partial<ItemSummary> = {}): ItemSummary {
  const accountId = ACCOUNTS[n % ACCOUNTS.length] as string;
  const name = `Svc-${n.toString(36)}`;
  return {
    arn: n % 4 === 0 ? `arn:aws:s3:::${name.toLowerCase()}` : `arn:aws:iam::${accountId}:role/${name}`,
    itemType: n % 4 === 0 ? 's3_bucket' : 'iam_role',
    technology: n % 4 === 0 ? 'AWS::S3::Bucket' : 'AWS::IAM::Role',
    accountId,
    region: 'global',
    name,
    tags: n % 7 === 0 ? { tier: n % 2 === 0 ? 'gold' : 'silver' } : {},
    lastSeenAt: '2026-03-01T10:00:00.000Z',
    ...overrides,
  };
}

/** Every page of a search, followed by its cursors, flattened. */
function allPages(index: ReturnType<typeof createResourceIndex>, filter: ResourceFilter, limit: number) {
  const arns: string[] = [];
  let after: string | undefined;
  for (;;) {
    const page = searchIndex(index, { filter, limit, ...(after === undefined ? {} : { after }) });
    expect(page.items.length).toBeLessThanOrEqual(limit);
    arns.push(...page.items.map((i) => i.arn));
    if (page.nextAfter === null) return arns;
    after = page.nextAfter;
  }
}

const filterArb: fc.Arbitrary<ResourceFilter> = fc.record(
  {
    query: fc.constantFrom('svc-1', 'SVC', '3:role/svc-a', 'zz', 'arn:aws:s3:::', 'role/'),
    itemType: fc.constantFrom<'iam_role' | 's3_bucket'>('iam_role', 's3_bucket'),
    accountId: fc.constantFrom(...ACCOUNTS),
    tag: fc.constantFrom({ key: 'tier' }, { key: 'tier', value: 'gold' }, { key: 'absent' }),
  },
  { requiredKeys: [] },
);

describe('the in-memory resource index', () => {
  it('finds exactly the matches of the filter, in ARN order, across pages and blocks', () => {
    // 3,000 entries: several blocks, so block skipping and block boundaries are crossed.
    const index = createResourceIndex(Array.from({ length: 3_000 }, (_, n) => summary(n)));
    const everything = [...index.walk({})];
    expect(everything.map((s) => s.arn)).toEqual(everything.map((s) => s.arn).sort());
    fc.assert(
      fc.property(filterArb, fc.integer({ min: 1, max: 400 }), (filter, limit) => {
        const expected = everything.filter((s) => matchesResourceFilter(s, filter)).map((s) => s.arn);
        expect(allPages(index, filter, limit)).toEqual(expected);
      }),
      { numRuns: 60 },
    );
  });

  it('applies changes as the cache writes Redis: never older over newer, deletions only of what was deleted', () => {
    const op = fc.record({
      n: fc.integer({ min: 0, max: 2_500 }),
      at: fc.integer({ min: 0, max: 5 }),
      kind: fc.constantFrom('upsert', 'upsert', 'remove'),
      tier: fc.constantFrom('gold', 'silver', undefined),
    });
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 3_000 }), (ops) => {
        const index = createResourceIndex();
        const model = new Map<string, ItemSummary>();
        for (const { n, at, kind, tier } of ops) {
          const seenAt = `2026-03-0${at + 1}T00:00:00.000Z`;
          const next = summary(n, { lastSeenAt: seenAt, tags: tier === undefined ? {} : { tier } });
          const held = model.get(next.arn);
          if (kind === 'upsert') {
            const applies = held === undefined || held.lastSeenAt <= seenAt;
            expect(index.upsert(next)).toBe(applies);
            if (applies) model.set(next.arn, next);
          } else {
            const applies = held !== undefined && held.lastSeenAt <= seenAt;
            expect(index.remove(next.arn, seenAt)).toBe(applies);
            if (applies) model.delete(next.arn);
          }
        }
        const expected = [...model.values()].sort((a, b) => (a.arn < b.arn ? -1 : 1));
        expect([...index.walk({})]).toEqual(expected);
        expect(index.size).toBe(model.size);
        const gold = { tag: { key: 'tier', value: 'gold' }, query: 'svc' };
        expect(allPages(index, gold, 37)).toEqual(
          expected.filter((s) => matchesResourceFilter(s, gold)).map((s) => s.arn),
        );
      }),
      { numRuns: 25 },
    );
  });

  it('continues after a cursor whose ARN has since been deleted', () => {
    const index = createResourceIndex(Array.from({ length: 50 }, (_, n) => summary(n)));
    const arns = [...index.walk({})].map((s) => s.arn);
    const cursor = arns[10] as string;
    index.remove(cursor, '2026-03-01T10:00:00.000Z');
    expect([...index.walk({}, cursor)].map((s) => s.arn)).toEqual(arns.slice(11));
  });

  it('matches names whose lower-case form is longer than the name (offsets stay right)', () => {
    const index = createResourceIndex([
      summary(1, { arn: 'arn:aws:iam::111111111111:role/a', name: 'İİİİ-admin' }),
      summary(2, { arn: 'arn:aws:iam::111111111111:role/b', name: 'plain' }),
    ]);
    expect(searchIndex(index, { filter: { query: 'admin' }, limit: 10 }).items.map((i) => i.arn)).toEqual([
      'arn:aws:iam::111111111111:role/a',
    ]);
    expect(searchIndex(index, { filter: { query: 'plain' }, limit: 10 }).items.map((i) => i.arn)).toEqual([
      'arn:aws:iam::111111111111:role/b',
    ]);
  });
});
