import type { JsMsg } from '@nats-io/jetstream';
import { crawlerEvents } from '@rolecall/shared/contracts';
import { AppError } from '@rolecall/shared/errors';
import type { Logger } from '@rolecall/shared/log';
import { metrics } from '@rolecall/shared/metrics';
import { readMessage, type DeliveryOutcome } from '@rolecall/shared/nats';
import type { Crawlers, CrawlResultPublisher, JobHandler } from '../domain/ports.js';
import { CrawlAbortedError, runCrawlJob } from '../domain/run-crawl-job.js';

/**
 * Handles one message of the crawl work queue; the job consumer acks it once its completion is
 * published, and keeps it with progress acks while it runs. A malformed job throws INVALID_MESSAGE (it
 * is dead-lettered at once); a job whose results cannot be published, or that runs past `jobTimeoutMs`,
 * throws, so it is tried again later and dead-lettered after the consumer's bound.
 */
export function createRunCrawlJobHandler(options: {
  crawlers: Crawlers;
  publisher: CrawlResultPublisher;
  batchSize: number;
  /** A job still running after this is abandoned and handed to a crawler again. */
  jobTimeoutMs: number;
  log: Logger;
}): JobHandler {
  return async function runCrawlJobMessage(msg: JsMsg, signal: AbortSignal): Promise<DeliveryOutcome | void> {
    const job = readMessage(crawlerEvents.jobQueued, msg).data;
    const log = options.log.child({ jobId: job.jobId, crawlType: job.crawlType, accountId: job.accountId });
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), options.jobTimeoutMs);
    const started = performance.now();
    const labels = { account: job.accountId, type: job.crawlType };
    const observe = (outcome: string) =>
      metrics.crawlDuration.observe({ ...labels, outcome }, (performance.now() - started) / 1000);
    try {
      const completion = await runCrawlJob({
        job,
        crawler: options.crawlers[job.crawlType],
        publisher: options.publisher,
        batchSize: options.batchSize,
        signal: AbortSignal.any([signal, deadline.signal]),
      });
      observe(completion.status);
      if (completion.status === 'failed') log.warn({ error: completion.error }, 'crawl failed');
      else {
        metrics.crawlItems.set(labels, completion.itemCount);
        log.info({ items: completion.itemCount, batches: completion.batchCount }, 'crawl succeeded');
      }
    } catch (error) {
      if (error instanceof CrawlAbortedError && signal.aborted) {
        log.info('crawl abandoned on shutdown; returned to the queue');
        return { kind: 'retry', delayMs: 0, reason: 'the crawler is stopping' };
      }
      const failure =
        error instanceof CrawlAbortedError
          ? new AppError('TIMEOUT', `crawl job did not finish within ${options.jobTimeoutMs / 1000} s`, {
              context: { jobId: job.jobId },
            })
          : error;
      observe('error');
      log.warn({ err: failure, deliveries: msg.info.deliveryCount }, 'crawl job failed');
      throw failure;
    } finally {
      clearTimeout(timer);
    }
  };
}
