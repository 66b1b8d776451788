import { crawlerEvents } from '@rolecall/shared/contracts';
import type { Logger } from '@rolecall/shared/log';
import { readMessage } from '@rolecall/shared/nats';
import type { JobHandler, JobLeases } from '../domain/ports.js';

/**
 * Runs a job only under its lease. A job delivered while another process holds its lease goes back to
 * the queue until just after that lease would lapse: by then the holder has finished (and acknowledged it, so it never
 * comes back) or died (and its lease has lapsed). A run whose lease is lost (its renewals could not reach
 * NATS for a whole lifetime, and another process took it) is stopped and put back, like a run stopped
 * on shutdown.
 */
export function withJobLease(
  handler: JobHandler,
  options: { leases: JobLeases; ttlMs: number; log: Logger },
): JobHandler {
  const { leases, ttlMs, log } = options;
  return async (msg, signal) => {
    // A malformed job is the handler's to refuse (dead-lettered at once), lease or not.
    let jobId: string;
    try {
      jobId = readMessage(crawlerEvents.jobQueued, msg).data.jobId;
    } catch {
      return handler(msg, signal);
    }
    const lease = await leases.acquire(jobId);
    if (!lease.held) {
      log.warn(
        { jobId },
        'crawl job delivered while another crawler runs it; put back until its lease lapses',
      );
      // Just past the holder's lease: by then it finished (and the job is gone) or it died (and it lapsed).
      return {
        kind: 'retry',
        delayMs: Math.max(100, lease.lapsesInMs + 250),
        reason: 'another crawler holds the job',
      };
    }
    const lost = new AbortController();
    const renewals = setInterval(
      () => {
        leases.renew(jobId).then(
          (kept) => {
            if (kept) return;
            log.warn({ jobId }, 'crawl job lease lost to another crawler; stopping this run');
            lost.abort();
          },
          // NATS unreachable: the lease may lapse if this lasts a whole lifetime; the next renewal says.
          (error: unknown) => log.warn({ err: error, jobId }, 'could not renew a crawl job lease'),
        );
      },
      Math.max(100, Math.floor(ttlMs / 4)),
    );
    try {
      const outcome = await handler(msg, AbortSignal.any([signal, lost.signal]));
      if (lost.signal.aborted) return { kind: 'retry', delayMs: ttlMs, reason: 'the job lease was lost' };
      return outcome;
    } finally {
      clearInterval(renewals);
      await leases.release(jobId).catch((error: unknown) => {
        // It lapses on its own within one lifetime.
        log.warn({ err: error, jobId }, 'could not release a crawl job lease');
      });
    }
  };
}
