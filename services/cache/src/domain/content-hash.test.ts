import { describe, expect, it } from 'vitest';
import type { CrawledItem } from '@rolecall/shared/contracts';
import { canonicalJson, contentHashOf } from './content-hash.js';

const role: CrawledItem = {
  arn: 'arn:aws:iam::111111111111:role/app',
  itemType: 'iam_role',
  accountId: '111111111111',
  region: 'global',
  name: 'app',
  tags: { team: 'a', env: 'prod' },
  details: { path: '/', inlinePolicies: [{ name: 'p', document: { Version: '2012-10-17', Statement: [] } }] },
};

describe('content hash', () => {
  it('sorts object keys at every depth but keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: null } })).toBe('{"a":{"c":null,"d":[2,1]},"b":1}');
  });

  it('is the same for the same content in another key order', () => {
    const reordered: CrawledItem = {
      details: {
        inlinePolicies: [{ document: { Statement: [], Version: '2012-10-17' }, name: 'p' }],
        path: '/',
      },
      tags: { env: 'prod', team: 'a' },
      name: 'app',
      region: 'global',
      accountId: '111111111111',
      itemType: 'iam_role',
      arn: 'arn:aws:iam::111111111111:role/app',
    };
    expect(contentHashOf(reordered)).toBe(contentHashOf(role));
  });

  it('changes when a tag, a detail or the name changes', () => {
    const base = contentHashOf(role);
    expect(contentHashOf({ ...role, tags: { ...role.tags, team: 'b' } })).not.toBe(base);
    expect(contentHashOf({ ...role, details: { ...role.details, path: '/x/' } })).not.toBe(base);
    expect(contentHashOf({ ...role, name: 'other' })).not.toBe(base);
  });

  it('ignores when a role was last used, which changes on every use, but not its configuration', () => {
    const used = {
      ...role,
      details: { ...role.details, lastUsed: { date: '2026-11-26T12:00:00Z', region: 'us-east-1' } },
    };
    const usedLater = { ...role, details: { ...role.details, lastUsed: { date: '2026-11-26T13:00:00Z' } } };
    expect(contentHashOf(used)).toBe(contentHashOf(usedLater));
    expect(contentHashOf(used)).not.toBe(
      contentHashOf({ ...used, details: { ...used.details, path: '/x/' } }),
    );
  });
});
