import { describe, expect, it } from 'vitest';
import { AppError } from '../errors/index.js';
import { CrawlJobQueued } from './crawler.js';

const job = {
  jobId: 'j1',
  crawlId: 'c1',
  accountId: '111122223333',
  accountName: 'prod',
  crawlType: 'iam' as const,
  trigger: 'demand' as const,
  requestedBy: 'admin@example.com',
  queuedAt: new Date().toISOString(),
};

describe('message envelopes', () => {
  it('wraps data with id, type, version, time and source, and unwraps it unchanged', () => {
    const envelope = CrawlJobQueued.wrap(job, 'crawler', 'fixed-id');
    expect(envelope).toMatchObject({
      id: 'fixed-id',
      type: 'crawler.job.queued',
      version: 1,
      source: 'crawler',
    });
    expect(CrawlJobQueued.unwrap(JSON.parse(JSON.stringify(envelope))).data).toEqual(job);
  });

  it('refuses a message of another type or with invalid data, naming the field', () => {
    const envelope = CrawlJobQueued.wrap(job, 'crawler');
    expect(() => CrawlJobQueued.unwrap({ ...envelope, type: 'other' })).toThrow(AppError);
    expect(() => CrawlJobQueued.unwrap({ ...envelope, data: { ...job, accountId: 'nope' } })).toThrow(
      /accountId/,
    );
    expect(() => CrawlJobQueued.unwrap('not an envelope')).toThrow(/envelope/);
  });
});
