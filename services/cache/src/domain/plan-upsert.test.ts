import { describe, expect, it } from 'vitest';
import type { CrawledItem } from '@rolecall/shared/contracts';
import { contentHashOf } from './content-hash.js';
import { planUpsert, triageHead, type JobRef } from './plan-upsert.js';
import { headOfStored, type StoredItem } from './stored-item.js';

const crawled: CrawledItem = {
  arn: 'arn:aws:iam::111111111111:role/app',
  itemType: 'iam_role',
  accountId: '111111111111',
  region: 'global',
  name: 'app',
  tags: { team: 'a' },
  details: { path: '/' },
};
const job1: JobRef = {
  jobId: 'job-1',
  crawlId: 'crawl-1',
  accountId: '111111111111',
  crawlType: 'iam',
  startedAt: '2026-01-01T00:00:00.000Z',
};
const job2: JobRef = { ...job1, jobId: 'job-2', crawlId: 'crawl-2', startedAt: '2026-01-02T00:00:00.000Z' };

function stored(job: JobRef, item: CrawledItem = crawled): StoredItem {
  const plan = planUpsert({ current: undefined, crawled: item, job, writeId: 'w0' });
  if (plan.action !== 'write') throw new Error('expected a write');
  return plan.item;
}

describe('planUpsert', () => {
  it('creates an absent item with a created event and freshness from the crawl start', () => {
    const plan = planUpsert({ current: undefined, crawled, job: job1, writeId: 'w1' });
    expect(plan.action).toBe('write');
    if (plan.action !== 'write') return;
    expect(plan.change?.kind).toBe('created');
    expect(plan.change?.before).toBeUndefined();
    expect(plan.item).toMatchObject({
      partition: '111111111111#iam',
      seenAt: job1.startedAt,
      firstSeenAt: job1.startedAt,
      lastSeenAt: job1.startedAt,
      lastCrawlId: 'crawl-1',
      lastJobId: 'job-1',
      changedByJob: 'job-1',
      changeKind: 'created',
      writeId: 'w1',
    });
  });

  it('writes nothing for an unchanged item: its freshness comes from the complete crawl', () => {
    expect(planUpsert({ current: stored(job1), crawled, job: job2, writeId: 'w2' })).toEqual({
      action: 'unchanged',
    });
    // Key order and usage telemetry do not make a change.
    const reordered = { ...crawled, details: { lastUsed: { at: 'now' }, path: '/' }, tags: { team: 'a' } };
    expect(planUpsert({ current: stored(job1), crawled: reordered, job: job2, writeId: 'w2' }).action).toBe(
      'unchanged',
    );
  });

  it('updates a changed item with the old image as before', () => {
    const changed = { ...crawled, tags: { team: 'b' } };
    const plan = planUpsert({ current: stored(job1), crawled: changed, job: job2, writeId: 'w2' });
    expect(plan.action).toBe('write');
    if (plan.action !== 'write') return;
    expect(plan.change?.kind).toBe('updated');
    expect(plan.change?.before?.tags).toEqual({ team: 'a' });
    expect(plan.change?.after?.tags).toEqual({ team: 'b' });
    expect(plan.item.previous?.tags).toEqual({ team: 'a' });
    expect(plan.item.firstSeenAt).toBe(job1.startedAt);
  });

  it('never lets an older crawl overwrite a newer one', () => {
    const plan = planUpsert({
      current: stored(job2),
      crawled: { ...crawled, name: 'old' },
      job: job1,
      writeId: 'w',
    });
    expect(plan).toEqual({ action: 'skip' });
  });

  it('repeats the same event, without a write, when the same job sees the item again', () => {
    const first = planUpsert({
      current: stored(job1),
      crawled: { ...crawled, tags: { team: 'b' } },
      job: job2,
      writeId: 'w2',
    });
    if (first.action !== 'write') throw new Error('expected a write');
    const again = planUpsert({
      current: first.item,
      crawled: { ...crawled, tags: { team: 'b' } },
      job: job2,
      writeId: 'w3',
    });
    expect(again.action).toBe('repeat');
    expect(again.action === 'repeat' && again.change?.kind).toBe('updated');
    expect(again.action === 'repeat' && again.change?.before?.tags).toEqual({ team: 'a' });
  });

  it('treats an item a sweep is deleting as new', () => {
    const plan = planUpsert({
      current: { ...stored(job1), deletedByJob: 'job-x' },
      crawled,
      job: job2,
      writeId: 'w',
    });
    expect(plan.action === 'write' && plan.change?.kind).toBe('created');
    expect(plan.action === 'write' && plan.item.firstSeenAt).toBe(job2.startedAt);
  });
});

describe('triageHead', () => {
  const head = headOfStored;
  const hash = contentHashOf(crawled);

  it('decides absent, newer and unchanged items without their body, and reads the rest', () => {
    expect(triageHead(undefined, hash, job2)).toBe('plan');
    expect(triageHead(head(stored(job2)), hash, job1)).toBe('skip');
    expect(triageHead(head(stored(job1)), hash, job2)).toBe('unchanged');
    expect(triageHead(head(stored(job1)), contentHashOf({ ...crawled, name: 'x' }), job2)).toBe('read');
    expect(triageHead(head({ ...stored(job1), deletedByJob: 'job-x' }), hash, job2)).toBe('read');
    // Written by this very job before (a redelivered batch): read, so its event is published again.
    expect(triageHead(head(stored(job2)), hash, job2)).toBe('read');
  });
});
