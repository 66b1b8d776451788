import { CrawlJobQueued } from '@rolecall/shared/contracts';
import type { Logger } from '@rolecall/shared/log';
import { readMessage } from '@rolecall/shared/nats';
import type { JsMsg } from 'nats';
import type { Crawlers, CrawlResultPublisher } from '../domain/ports.js';
import { CrawlAbortedError, runCrawlJob } from '../domain/run-crawl-job.js';

/**
 * Handles one message of the crawl work queue. The job is acked only once its completion is published;
 * while it runs, `working()` keeps JetStream from handing it to another crawler.
 */
export function createRunCrawlJobHandler(options: {
  crawlers: Crawlers;
  publisher: CrawlResultPublisher;
  batchSize: number;
  heartbeatMs: number;
  log: Logger;
}) {
  return async function runCrawlJobMessage(msg: JsMsg, signal: AbortSignal): Promise<void> {
    let job;
    try {
      job = readMessage(CrawlJobQueued, msg).data;
    } catch (error) {
      // Malformed jobs never become valid: drop them instead of redelivering forever.
      options.log.error({ err: error, subject: msg.subject }, 'invalid crawl job; terminated');
      msg.term();
      return;
    }
    const log = options.log.child({ jobId: job.jobId, crawlType: job.crawlType, accountId: job.accountId });
    const heartbeat = setInterval(() => msg.working(), options.heartbeatMs);
    try {
      const completion = await runCrawlJob({
        job,
        crawler: options.crawlers[job.crawlType],
        publisher: options.publisher,
        batchSize: options.batchSize,
        signal,
      });
      await msg.ackAck();
      if (completion.status === 'failed') log.warn({ error: completion.error }, 'crawl failed');
      else log.info({ items: completion.itemCount, batches: completion.batchCount }, 'crawl succeeded');
    } catch (error) {
      if (error instanceof CrawlAbortedError) {
        log.info('crawl abandoned on shutdown; returned to the queue');
        msg.nak();
      } else {
        log.error({ err: error }, 'crawl results could not be published; job will be retried');
        msg.nak(5000);
      }
    } finally {
      clearInterval(heartbeat);
    }
  };
}
