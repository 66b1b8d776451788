import { crawlerSubjects, CrawlJobQueued } from '@rolecall/shared/contracts';
import { AppError } from '@rolecall/shared/errors';
import { decode, publishEvent, STREAMS } from '@rolecall/shared/nats';
import type { JetStreamClient, JetStreamManager } from 'nats';
import type { JobQueue } from '../domain/ports.js';

/** JetStream's refusal when a subject of a discard-new-per-subject stream already holds a message. */
export function isPerSubjectRefusal(error: unknown): boolean {
  const apiError = (error as { api_error?: { err_code?: number } })?.api_error;
  return (
    apiError?.err_code === 10077 ||
    /maximum messages per subject exceeded/i.test(String((error as Error)?.message))
  );
}

const isNoMessage = (error: unknown) =>
  (error as { api_error?: { err_code?: number } })?.api_error?.err_code === 10037 ||
  /no message found/i.test(String((error as Error)?.message));

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
      const subject = crawlerSubjects.jobQueued(job.crawlType, job.accountId);
      // The waiting job can be acked between our refused publish and the lookup; then we publish again.
      for (let attempt = 0; attempt < 5; attempt += 1) {
        try {
          await publishEvent(options.js, subject, CrawlJobQueued, job, {
            source: options.source,
            msgId: job.jobId,
          });
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
          const waiting = await options.jsm.streams.getMessage(STREAMS.crawlJobs.name, {
            last_by_subj: subject,
          });
          return { state: 'already_queued', jobId: CrawlJobQueued.unwrap(decode(waiting.data)).data.jobId };
        } catch (error) {
          if (!isNoMessage(error)) throw error;
        }
      }
      throw new AppError('CONFLICT', `could not enqueue ${subject}: the queue kept changing`, {
        retryable: true,
      });
    },
  };
}
