import {
  AccountsDiscovered,
  crawlerSubjects,
  CrawlCompleted,
  CrawlStarted,
  ResourceBatchCrawled,
} from '@rolecall/shared/contracts';
import { publishEvent } from '@rolecall/shared/nats';
import type { JetStreamClient } from 'nats';
import type { CrawlResultPublisher, DiscoveryPublisher } from '../domain/ports.js';

/**
 * Publishes to CRAWL_RESULTS with message ids derived from the job, so a job that is redelivered and
 * run again within the duplicate window republishes nothing the cache has already seen.
 */
export function createJetStreamResultPublisher(options: {
  js: JetStreamClient;
  source: string;
}): CrawlResultPublisher & DiscoveryPublisher {
  const { js, source } = options;
  return {
    async started(start) {
      await publishEvent(js, crawlerSubjects.started(start.crawlType, start.accountId), CrawlStarted, start, {
        source,
        msgId: `${start.jobId}:started`,
      });
    },
    async batch(batch) {
      await publishEvent(
        js,
        crawlerSubjects.batch(batch.crawlType, batch.accountId),
        ResourceBatchCrawled,
        batch,
        { source, msgId: `${batch.jobId}:batch:${batch.seq}` },
      );
    },
    async completed(completion) {
      await publishEvent(
        js,
        crawlerSubjects.completed(completion.crawlType, completion.accountId),
        CrawlCompleted,
        completion,
        { source, msgId: `${completion.jobId}:completed` },
      );
    },
    async publish(discovery) {
      await publishEvent(js, crawlerSubjects.accountsDiscovered, AccountsDiscovered, discovery, {
        source,
        msgId: discovery.discoveryId,
      });
    },
  };
}
