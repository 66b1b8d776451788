import { toItemRow } from '@rolecall/shared/aws';
import type { CachedItem } from '@rolecall/shared/contracts';
import { capturedLogger } from '@rolecall/shared/log';
import { cachedItem, minimalDetails } from '@rolecall/testing';
import { describe, expect, it } from 'vitest';
import type { StoredItem } from '../domain/stored-item.js';
import { createItemRowReader } from './item-row-reader.js';

const ACCOUNT = '111111111111';

const capturedLog = () => capturedLogger();

const role: CachedItem = cachedItem({
  arn: `arn:aws:iam::${ACCOUNT}:role/deploy`,
  itemType: 'iam_role',
  accountId: ACCOUNT,
  name: 'deploy',
  details: { ...minimalDetails('iam_role', 'deploy'), assumeRolePolicyDocument: { Statement: [] } },
});

/** A row as the cache's item store writes it: the item with its bookkeeping, through `toItemRow`. */
const rowOf = (item: CachedItem, extra: Partial<StoredItem> = {}) =>
  toItemRow<StoredItem>({
    ...item,
    partition: `${item.accountId}#iam`,
    seenAt: item.lastSeenAt,
    writeId: 'w1',
    ...extra,
  });

describe('the DynamoDB item row reader', () => {
  it('reads a role without the bookkeeping attributes, its details typed', () => {
    const rows = createItemRowReader({ tableName: 'roles', log: capturedLog().log });
    const read = rows.readRole(rowOf(role, { changedByJob: 'job-1', changeKind: 'created' }));
    expect(read).toEqual(role);
    expect(read?.details.assumeRolePolicyDocument).toEqual({ Statement: [] });
  });

  it('reads a row a sweep is deleting as absent, which is not corruption', () => {
    const captured = capturedLog();
    const rows = createItemRowReader({ tableName: 'roles', log: captured.log });
    expect(rows.read(rowOf(role, { deletedByJob: 'job-2' }))).toBeUndefined();
    expect(rows.corruption()).toEqual({ entries: 0, reads: 0 });
    expect(captured.lines).toEqual([]);
  });

  it('reads a row whose body does not decode, or fails its schema, as absent: logged once, counted', () => {
    const captured = capturedLog();
    const rows = createItemRowReader({ tableName: 'roles', log: captured.log });
    const garbled = { ...rowOf(role), body: new Uint8Array([1, 2, 3]) };
    const details = Object.fromEntries(Object.entries(role.details).filter(([key]) => key !== 'roleId'));
    const invalid = rowOf({ ...role, arn: `${role.arn}-2`, details });
    for (let i = 0; i < 2; i++) {
      expect(rows.readRole(garbled)).toBeUndefined();
      expect(rows.readRole(invalid)).toBeUndefined();
    }
    expect(captured.lines).toEqual([
      expect.objectContaining({
        store: 'dynamodb',
        key: 'roles',
        field: `${ACCOUNT}#iam ${role.arn}`,
        problem: expect.stringMatching(/^body does not decode/) as string,
      }),
      expect.objectContaining({
        field: `${ACCOUNT}#iam ${role.arn}-2`,
        problem: expect.stringMatching(/roleId/) as string,
      }),
    ]);
    expect(rows.corruption()).toEqual({ entries: 2, reads: 4 });
  });

  it('reads an item of another type in the roles table as a corrupt role', () => {
    const captured = capturedLog();
    const rows = createItemRowReader({ tableName: 'roles', log: captured.log });
    const bucket = rowOf({
      ...role,
      arn: 'arn:aws:s3:::logs',
      itemType: 's3_bucket',
      details: { policy: null },
    });
    expect(rows.read(bucket)).toMatchObject({ itemType: 's3_bucket' });
    expect(rows.readRole(bucket)).toBeUndefined();
    expect(captured.lines[0]).toMatchObject({ problem: 'an s3_bucket, not an iam_role' });
  });
});
