/* eslint-disable @typescript-eslint/require-await -- in-memory fakes implement async ports without awaiting */
import type { CrawlCompletion, CrawledItem, CrawlJob, ResourceBatch } from '@rolecall/shared/contracts';
import { AppError } from '@rolecall/shared/errors';
import { describe, expect, it } from 'vitest';
import type { Crawler, CrawlResultPublisher } from './ports.js';
import { CrawlAbortedError, runCrawlJob } from './run-crawl-job.js';

const job: CrawlJob = {
  jobId: 'j1',
  crawlId: 'c1',
  accountId: '111111111111',
  accountName: 'one',
  crawlType: 'sqs',
  trigger: 'demand',
  requestedBy: 'test',
  queuedAt: '2024-01-01T00:00:00.000Z',
};
const item = (n: number): CrawledItem => ({
  arn: `arn:aws:sqs:us-east-1:111111111111:q${n}`,
  itemType: 'sqs_queue',
  accountId: '111111111111',
  region: 'us-east-1',
  name: `q${n}`,
  tags: {},
  details: {},
});

function recorder(failOn?: 'batch') {
  const events: string[] = [];
  const batches: ResourceBatch[] = [];
  let completion: CrawlCompletion | undefined;
  const publisher: CrawlResultPublisher = {
    started: async () => {
      events.push('started');
    },
    batch: async (batch) => {
      if (failOn === 'batch') throw new Error('nats down');
      events.push(`batch:${batch.seq}`);
      batches.push(batch);
    },
    completed: async (c) => {
      events.push(`completed:${c.status}`);
      completion = c;
    },
  };
  return { publisher, events, batches, completion: () => completion };
}

const crawlerOf = (count: number, error?: Error): Crawler =>
  async function* crawl() {
    for (let n = 0; n < count; n += 1) yield item(n);
    if (error) throw error;
  };

const run = (crawler: Crawler, publisher: CrawlResultPublisher, signal = new AbortController().signal) =>
  runCrawlJob({ job, crawler, publisher, batchSize: 2, signal });

describe('runCrawlJob', () => {
  it('publishes started, batches of batchSize as items arrive, then a succeeded completion', async () => {
    const r = recorder();
    const completion = await run(crawlerOf(5), r.publisher);
    expect(r.events).toEqual(['started', 'batch:0', 'batch:1', 'batch:2', 'completed:succeeded']);
    expect(r.batches.map((b) => b.items.length)).toEqual([2, 2, 1]);
    expect(completion).toMatchObject({
      status: 'succeeded',
      batchCount: 3,
      itemCount: 5,
      jobId: 'j1',
      crawlId: 'c1',
    });
    expect(completion).not.toHaveProperty('error');
  });

  it('publishes a batch before the crawler produces the next item', async () => {
    const r = recorder();
    let produced = 0;
    const crawler: Crawler = async function* () {
      for (let n = 0; n < 4; n += 1) {
        // By the third item the first batch must already be out: items are streamed, not collected.
        if (n === 2) expect(r.batches).toHaveLength(1);
        produced += 1;
        yield item(n);
      }
    };
    await run(crawler, r.publisher);
    expect(produced).toBe(4);
  });

  it('reports a crawler failure as a failed completion with its code, after the items seen so far', async () => {
    const r = recorder();
    const completion = await run(
      crawlerOf(3, new AppError('SPOKE_ROLE_UNAVAILABLE', 'the spoke role does not exist')),
      r.publisher,
    );
    expect(r.events).toEqual(['started', 'batch:0', 'batch:1', 'completed:failed']);
    expect(completion).toMatchObject({
      status: 'failed',
      itemCount: 3,
      error: { code: 'SPOKE_ROLE_UNAVAILABLE', message: 'the spoke role does not exist' },
    });
  });

  it('succeeds with no batches for an account with nothing in it', async () => {
    const r = recorder();
    expect(await run(crawlerOf(0), r.publisher)).toMatchObject({
      status: 'succeeded',
      batchCount: 0,
      itemCount: 0,
    });
  });

  it('throws instead of completing when results cannot be published, so the job is retried', async () => {
    const r = recorder('batch');
    await expect(run(crawlerOf(4), r.publisher)).rejects.toThrow('nats down');
    expect(r.completion()).toBeUndefined();
  });

  it('abandons the job without a completion when the process stops', async () => {
    const r = recorder();
    const controller = new AbortController();
    const crawler: Crawler = async function* () {
      yield item(0);
      controller.abort();
      yield item(1);
      yield item(2);
    };
    await expect(run(crawler, r.publisher, controller.signal)).rejects.toBeInstanceOf(CrawlAbortedError);
    expect(r.completion()).toBeUndefined();
  });
});
