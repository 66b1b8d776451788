import { cachedItem } from '@rolecall/testing';
import { describe, expect, it } from 'vitest';
import type { CachedItem } from '../contracts/index.js';
import { fromItemRow, toItemRow } from './item-rows.js';

const role: CachedItem = cachedItem({
  arn: 'arn:aws:iam::111111111111:role/payments',
  itemType: 'iam_role',
  accountId: '111111111111',
  name: 'payments',
  tags: { 'consoleme-authorized': 'payments' },
  details: {
    inlinePolicies: Array.from({ length: 40 }, (_, i) => ({
      name: `policy-${i}`,
      document: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: `arn:aws:s3:::bucket-${i}/*` }],
      },
    })),
  },
});

describe('item rows', () => {
  it('keeps what DynamoDB evaluates plain, packs the rest, and round-trips exactly', () => {
    const stored = {
      ...role,
      partition: '111111111111#iam',
      seenAt: role.lastSeenAt,
      writeId: 'w1',
      changedByJob: 'job-1',
      previous: role,
    };
    const row = toItemRow(stored);

    expect(Object.keys(row).sort()).toEqual(['arn', 'body', 'itemType', 'partition', 'seenAt', 'writeId']);
    expect(row.body.byteLength).toBeLessThan(JSON.stringify(stored).length / 4);
    expect(fromItemRow(row)).toEqual(stored);
    expect(fromItemRow({ ...row, deletedByJob: 'job-2' })).toEqual({ ...stored, deletedByJob: 'job-2' });
  });

  it('leaves out undefined attributes (DynamoDB refuses them)', () => {
    // The plain attributes are the ones that reach DynamoDB as they are (the body is JSON, which has no
    // undefined): a bookkeeping field not set yet must be absent from the row, not present as undefined.
    const partition = '111111111111#iam';
    const unset = { seenAt: undefined, writeId: undefined, deletedByJob: undefined, previous: undefined };
    const row = toItemRow({ ...role, partition, ...unset });
    expect(Object.keys(row).sort()).toEqual(['arn', 'body', 'itemType', 'partition']);
    expect(Object.entries(row).filter(([, value]) => value === undefined)).toEqual([]);
    expect(fromItemRow(row)).toStrictEqual({ ...role, partition });
  });

  it('reads a row written before the body layout as it is, and refuses a body that is not binary', () => {
    const legacy = { ...role, partition: '111111111111#iam', seenAt: role.lastSeenAt };
    expect(fromItemRow(legacy)).toEqual(legacy);
    expect(() => fromItemRow({ arn: role.arn, body: 'text' })).toThrow(/not binary/);
  });
});
