import { describe, expect, it } from 'vitest';
import type { CrawlCompletion, CrawlStart } from '@rolecall/shared/contracts';
import { applyCompleted, applyStarted, emptyStatus, missingBatches, toCrawlStatus } from './crawl-status.js';

const start = (jobId: string, startedAt: string): CrawlStart => ({
  jobId,
  crawlId: `crawl-${jobId}`,
  accountId: '111111111111',
  crawlType: 'iam',
  startedAt,
});
const done = (s: CrawlStart, status: 'succeeded' | 'failed', finishedAt: string): CrawlCompletion => ({
  ...s,
  finishedAt,
  status,
  batchCount: 1,
  itemCount: 3,
  ...(status === 'failed' ? { error: { code: 'ACCESS_DENIED', message: 'no' } } : {}),
});

const T1 = '2026-01-01T00:00:00.000Z';
const T2 = '2026-01-02T00:00:00.000Z';

describe('crawl status transitions', () => {
  it('runs, then records a success with its count', () => {
    const running = applyStarted(emptyStatus('111111111111', 'iam'), start('a', T1));
    expect(running).toMatchObject({ running: true, runningJobId: 'a', runningSince: T1, revision: 1 });
    const finished = applyCompleted(running!, done(start('a', T1), 'succeeded', T2), 7);
    expect(toCrawlStatus(finished!)).toEqual({
      accountId: '111111111111',
      crawlType: 'iam',
      running: false,
      lastSuccessAt: T2,
      lastSuccessCrawlId: 'crawl-a',
      itemCount: 7,
      revision: 2,
    });
  });

  it('records a failure without touching the count or the last success', () => {
    const ok = applyCompleted(emptyStatus('111111111111', 'iam'), done(start('a', T1), 'succeeded', T1), 5)!;
    const failed = applyCompleted(ok, done(start('b', T2), 'failed', T2), 0)!;
    expect(failed.itemCount).toBe(5);
    expect(failed.lastSuccessCrawlId).toBe('crawl-a');
    expect(failed.lastError).toEqual({ code: 'ACCESS_DENIED', message: 'no', at: T2 });
    expect(failed.lastSweptStartedAt).toBe(T1);
  });

  it('ignores an older job started or completed after a newer one', () => {
    const newer = applyCompleted(
      emptyStatus('111111111111', 'iam'),
      done(start('b', T2), 'succeeded', T2),
      4,
    )!;
    expect(applyStarted(newer, start('a', T1))).toBeUndefined();
    expect(applyCompleted(newer, done(start('a', T1), 'succeeded', T1), 9)).toBeUndefined();
    const running = applyStarted(emptyStatus('111111111111', 'iam'), start('b', T2))!;
    expect(applyStarted(running, start('a', T1))).toBeUndefined();
    const oldDone = applyCompleted(running, done(start('a', T1), 'failed', T1), 0)!;
    expect(oldDone.running).toBe(true);
    expect(oldDone.runningJobId).toBe('b');
  });

  it('applies the same completion once', () => {
    const c = done(start('a', T1), 'succeeded', T2);
    const once = applyCompleted(emptyStatus('111111111111', 'iam'), c, 3)!;
    expect(applyCompleted(once, c, 3)).toBeUndefined();
  });

  it('lists the batches still missing', () => {
    expect(missingBatches([0, 2, 2], 4)).toEqual([1, 3]);
    expect(missingBatches([], 0)).toEqual([]);
  });
});
