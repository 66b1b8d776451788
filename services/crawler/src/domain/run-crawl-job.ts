import type { CrawlCompletion, CrawledItem, CrawlJob } from '@rolecall/shared/contracts';
import { toAppError } from '@rolecall/shared/errors';
import type { Crawler, CrawlResultPublisher } from './ports.js';

/** Thrown when a job is abandoned because the process is stopping; the job goes back to the queue. */
export class CrawlAbortedError extends Error {
  constructor() {
    super('crawl abandoned: the crawler is stopping');
    this.name = 'CrawlAbortedError';
  }
}

/**
 * Runs one job: started, then a batch every `batchSize` items as the crawler yields them, then the
 * completion. A crawler failure becomes a failed completion (the cache then deletes nothing); a publish
 * failure or an abort is thrown, so the job is retried rather than reported complete.
 */
export async function runCrawlJob(options: {
  job: CrawlJob;
  crawler: Crawler;
  publisher: CrawlResultPublisher;
  batchSize: number;
  signal: AbortSignal;
  now?: () => Date;
}): Promise<CrawlCompletion> {
  const { job, publisher, batchSize, signal } = options;
  const now = options.now ?? (() => new Date());
  const ref = {
    jobId: job.jobId,
    crawlId: job.crawlId,
    accountId: job.accountId,
    crawlType: job.crawlType,
    startedAt: now().toISOString(),
  };
  await publisher.started(ref);

  let batchCount = 0;
  let itemCount = 0;
  let buffer: CrawledItem[] = [];
  const flush = async () => {
    if (buffer.length === 0) return;
    const items = buffer;
    buffer = [];
    await publisher.batch({ ...ref, seq: batchCount, items });
    batchCount += 1;
    itemCount += items.length;
  };

  let failure: { code: string; message: string } | undefined;
  const items = options.crawler({ accountId: job.accountId, accountName: job.accountName }, signal);
  const iterator = items[Symbol.asyncIterator]();
  try {
    for (;;) {
      if (signal.aborted) throw new CrawlAbortedError();
      let next: IteratorResult<CrawledItem>;
      try {
        next = await iterator.next();
      } catch (error) {
        if (signal.aborted) throw new CrawlAbortedError();
        const appError = toAppError(error);
        failure = { code: appError.code, message: appError.message };
        break;
      }
      if (next.done) break;
      buffer.push(next.value);
      if (buffer.length >= batchSize) await flush();
    }
  } catch (error) {
    // Stop the crawler's AWS calls; its own failure here would hide the reason we stopped.
    await iterator.return?.().catch(() => undefined);
    throw error;
  }
  // Items seen before a failure are still published: they are current, only the deletion sweep is lost.
  await flush();

  const completion: CrawlCompletion = {
    ...ref,
    finishedAt: now().toISOString(),
    status: failure ? 'failed' : 'succeeded',
    batchCount,
    itemCount,
    ...(failure ? { error: failure } : {}),
  };
  await publisher.completed(completion);
  return completion;
}
