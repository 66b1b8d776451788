import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { crawlerEvents } from '@rolecall/shared/contracts';
import { AppError } from '@rolecall/shared/errors';
import { isNoMessageFound, isStreamStoreFailed, publishEvent, readMessage } from '@rolecall/shared/nats';
import type { JobQueue } from '../domain/ports.js';

/**
 * JetStream's refusal when a subject of a discard-new-per-subject stream already holds a message. The
 * server answers "stream store failed" (10077) for any limit with discard `new`; CRAWL_JOBS has no
 * limit but the per-subject one, so on it that code is this refusal (the text is not relied on).
 */
export const isPerSubjectRefusal = (error: unknown): boolean => isStreamStoreFailed(error);

/**
 * Enqueues on CRAWL_JOBS. The stream holds one message per (type, account) and refuses another while it
 * waits or runs; that refusal is the answer "already queued", reported with the waiting job's id.
 */
export function createJetStreamJobQueue(options: {
  js: JetStreamClient;
  jsm: JetStreamManager;
  source: string;
}): JobQueue {
  return {
    async enqueue(job) {
      const event = crawlerEvents.jobQueued;
      const subject = event.subject(job);
      // The waiting job can be acked between our refused publish and the lookup; then we publish again.
      for (let attempt = 0; attempt < 5; attempt += 1) {
        try {
          await publishEvent(options.js, event, job, { source: options.source });
          return { state: 'queued', jobId: job.jobId };
        } catch (error) {
          if (!isPerSubjectRefusal(error)) {
            throw new AppError(
              'UPSTREAM_UNAVAILABLE',
              `cannot enqueue ${subject}: ${(error as Error).message}`,
              {
                cause: error,
              },
            );
          }
        }
        try {
          const waiting = await options.jsm.streams.getMessage(event.stream.name, {
            last_by_subj: subject,
          });
          // The job that refused ours was handled meanwhile: try to enqueue again.
          if (waiting === null) continue;
          return { state: 'already_queued', jobId: readMessage(event, waiting).data.jobId };
        } catch (error) {
          if (!isNoMessageFound(error)) throw error;
        }
      }
      throw new AppError('CONFLICT', `could not enqueue ${subject}: the queue kept changing`, {
        retryable: true,
      });
    },
  };
}
