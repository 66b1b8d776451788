import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { crawlerSubjects, crawlerStreams } from '@rolecall/shared/contracts';
import type { Logger } from '@rolecall/shared/log';
import { createDurableConsumer } from '@rolecall/shared/nats';
import type { JobConsumer, JobHandler } from '../domain/ports.js';

export const CRAWLER_DURABLE = 'crawler';
/**
 * Jobs handed out at once across every crawler process; each process takes no more than its own
 * concurrency, so this only has to be larger than all of them together.
 */
const MAX_JOBS_IN_FLIGHT = 1000;

/**
 * The durable consumer of CRAWL_JOBS shared by every crawler process; each process runs at most
 * `concurrency` jobs and pulls no more than it is running. A running job is kept with progress acks, so a
 * crawler that dies gives its jobs back within the ack wait (5 s by default). A job that keeps failing (its
 * results cannot be published, it does not finish within the job timeout, it is malformed) goes to the
 * dead-letter stream after `maxDeliveries` attempts and leaves the queue, so the next job for the same
 * account and type can be queued.
 */
export function createJobConsumer(options: {
  js: JetStreamClient;
  jsm: JetStreamManager;
  concurrency: number;
  handle: JobHandler;
  log: Logger;
  ackWaitMs?: number;
  maxDeliveries?: number;
}): JobConsumer {
  const consumer = createDurableConsumer({
    js: options.js,
    jsm: options.jsm,
    stream: crawlerStreams.crawlJobs.name,
    durable: CRAWLER_DURABLE,
    filterSubject: crawlerSubjects.jobQueuedAll,
    // A work queue: a job is removed once acked (or dead-lettered), so every consumer starts at the first.
    deliver: 'all',
    concurrency: options.concurrency,
    maxAckPending: MAX_JOBS_IN_FLIGHT,
    ackWaitMs: options.ackWaitMs,
    maxDeliveries: options.maxDeliveries,
    log: options.log,
    handle: options.handle,
  });
  return {
    async start() {
      await consumer.ensure();
      await consumer.start();
    },
    stop: () => consumer.stop(),
    deadLettered: () => consumer.deadLettered(),
  };
}
