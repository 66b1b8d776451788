import { describe, expect, it } from 'vitest';
import { buildCacheStatusRows } from './cache-status.js';

describe('buildCacheStatusRows', () => {
  it('fills never-crawled pairs, ignores statuses of unknown accounts and hides stale running times', () => {
    const rows = buildCacheStatusRows(
      [
        { id: '222222222222', name: 'b', status: 'ACTIVE' },
        { id: '111111111111', name: 'a', status: 'ACTIVE' },
      ],
      [
        {
          accountId: '111111111111',
          crawlType: 's3',
          running: false,
          runningSince: 'old',
          lastSuccessAt: 't1',
          itemCount: 3,
        },
        { accountId: '999999999999', crawlType: 'iam', running: true, itemCount: 1 },
      ],
      ['s3', 'iam'],
    );
    expect(rows).toEqual([
      { accountId: '111111111111', accountName: 'a', crawlType: 'iam', running: false, itemCount: 0 },
      {
        accountId: '111111111111',
        accountName: 'a',
        crawlType: 's3',
        running: false,
        lastSuccessAt: 't1',
        itemCount: 3,
      },
      { accountId: '222222222222', accountName: 'b', crawlType: 'iam', running: false, itemCount: 0 },
      { accountId: '222222222222', accountName: 'b', crawlType: 's3', running: false, itemCount: 0 },
    ]);
  });
});
