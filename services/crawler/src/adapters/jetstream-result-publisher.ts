import type { JetStreamClient } from '@nats-io/jetstream';
import { crawlerEvents } from '@rolecall/shared/contracts';
import { publishEvent } from '@rolecall/shared/nats';
import type { CrawlResultPublisher, DiscoveryPublisher } from '../domain/ports.js';

/**
 * Publishes to CRAWL_RESULTS. Subjects and message ids come from `crawlerEvents`: the ids derive from the
 * job, so a job that is redelivered and run again within the duplicate window republishes nothing the
 * cache has already seen.
 */
export function createJetStreamResultPublisher(options: {
  js: JetStreamClient;
  source: string;
}): CrawlResultPublisher & DiscoveryPublisher {
  const { js, source } = options;
  return {
    async started(start) {
      await publishEvent(js, crawlerEvents.started, start, { source });
    },
    async batch(batch) {
      await publishEvent(js, crawlerEvents.batch, batch, { source });
    },
    async completed(completion) {
      await publishEvent(js, crawlerEvents.completed, completion, { source });
    },
    async publish(discovery) {
      await publishEvent(js, crawlerEvents.accountsDiscovered, discovery, { source });
    },
  };
}
