import type { CrawlCompletion, CrawlStart, CrawlStatus, CrawlType } from '@rolecall/shared/contracts';
import type { PartitionFreshness } from './freshness.js';

/**
 * The durable status of one (account, crawl type): what the API shows plus the marks that keep an
 * older job from overwriting a newer one. `lastCompletedStartedAt` / `lastCompletedJobId` name the
 * newest job whose completion was applied; `lastSweptStartedAt` the newest successful sweep, below
 * which late batches are stale, with its crawl and job: every live item was seen by that crawl.
 */
export interface StatusRecord extends CrawlStatus {
  revision: number;
  lastCompletedStartedAt?: string;
  lastCompletedJobId?: string;
  lastSweptStartedAt?: string;
  lastSweptCrawlId?: string;
  lastSweptJobId?: string;
}

/** The partition's last complete crawl, which every live item of it was seen by. */
export function freshnessOf(record: StatusRecord): PartitionFreshness | undefined {
  const { lastSweptStartedAt: startedAt, lastSweptCrawlId: crawlId, lastSweptJobId: jobId } = record;
  return startedAt !== undefined && crawlId !== undefined && jobId !== undefined
    ? { startedAt, crawlId, jobId }
    : undefined;
}

/** Identifies one attempt of a job: a crawler that retries a job re-sends its started time. */
export const jobAttemptKey = (job: { jobId: string; startedAt: string }) => `${job.jobId}@${job.startedAt}`;

export const crawlStatusId = (accountId: string, crawlType: string) => `${accountId}:${crawlType}`;

/**
 * The fence of one partition: the start time of the newest crawl that has begun storing into it. A crawl
 * raises it before it reads what is stored, and every write of a crawl is conditional on it not being
 * newer, so an older crawl can never write under a newer one's reads (which skip unchanged items).
 */
export const fenceId = (accountId: string, crawlType: string) =>
  `fence#${crawlStatusId(accountId, crawlType)}`;

/** What a fence holds: the crawl's start, then its job, so two jobs started in the same millisecond still order. */
export const fenceToken = (fence: { startedAt: string; jobId: string }) =>
  `${fence.startedAt} ${fence.jobId}`;

export function emptyStatus(accountId: string, crawlType: CrawlType): StatusRecord {
  return { accountId, crawlType, running: false, itemCount: 0, revision: 0 };
}

/** Marks the job running unless it, or a newer job, already finished or a newer one runs. */
export function applyStarted(current: StatusRecord, start: CrawlStart): StatusRecord | undefined {
  if (current.runningJobId === start.jobId && current.runningSince === start.startedAt) return undefined;
  if (current.lastCompletedStartedAt !== undefined && current.lastCompletedStartedAt >= start.startedAt) {
    return undefined;
  }
  if (current.running && current.runningSince !== undefined && current.runningSince > start.startedAt) {
    return undefined;
  }
  return {
    ...current,
    running: true,
    runningJobId: start.jobId,
    runningSince: start.startedAt,
    revision: current.revision + 1,
  };
}

/**
 * Applies a completion. A success records the item count and, when its sweep deleted what it did not see
 * (`swept`; not when a newer crawl had begun storing), the sweep mark; it clears the last error. A failure
 * records the error and keeps the previous count. Returns undefined when the completion is already
 * applied or older than one that was.
 */
export function applyCompleted(
  current: StatusRecord,
  completion: CrawlCompletion,
  itemCount: number,
  swept = true,
): StatusRecord | undefined {
  const done = current.lastCompletedStartedAt;
  if (done !== undefined && done > completion.startedAt) return undefined;
  if (done === completion.startedAt && current.lastCompletedJobId === completion.jobId) return undefined;
  const next: StatusRecord = {
    ...current,
    lastCompletedStartedAt: completion.startedAt,
    lastCompletedJobId: completion.jobId,
    revision: current.revision + 1,
  };
  const stillRunningNewer =
    current.running &&
    current.runningJobId !== completion.jobId &&
    current.runningSince !== undefined &&
    current.runningSince > completion.startedAt;
  if (!stillRunningNewer) {
    next.running = false;
    delete next.runningJobId;
    delete next.runningSince;
  }
  if (completion.status === 'succeeded') {
    next.lastSuccessAt = completion.finishedAt;
    next.lastSuccessCrawlId = completion.crawlId;
    next.itemCount = itemCount;
    if (swept) {
      next.lastSweptStartedAt = completion.startedAt;
      next.lastSweptCrawlId = completion.crawlId;
      next.lastSweptJobId = completion.jobId;
    }
    delete next.lastError;
  } else {
    next.lastError = {
      code: completion.error?.code ?? 'CRAWL_FAILED',
      message: completion.error?.message ?? 'the crawl failed',
      at: completion.finishedAt,
    };
  }
  return next;
}

/** What Redis and the API show: the contract fields only. */
export function toCrawlStatus(record: StatusRecord): CrawlStatus {
  return {
    accountId: record.accountId,
    crawlType: record.crawlType,
    running: record.running,
    ...(record.runningJobId !== undefined ? { runningJobId: record.runningJobId } : {}),
    ...(record.runningSince !== undefined ? { runningSince: record.runningSince } : {}),
    ...(record.lastSuccessAt !== undefined ? { lastSuccessAt: record.lastSuccessAt } : {}),
    ...(record.lastSuccessCrawlId !== undefined ? { lastSuccessCrawlId: record.lastSuccessCrawlId } : {}),
    itemCount: record.itemCount,
    ...(record.lastError !== undefined ? { lastError: record.lastError } : {}),
    revision: record.revision,
  };
}

/** Batch seqs 0..batchCount-1 that have not been recorded yet. */
export function missingBatches(recorded: Iterable<number>, batchCount: number): number[] {
  const seen = new Set(recorded);
  const missing: number[] = [];
  for (let seq = 0; seq < batchCount; seq += 1) if (!seen.has(seq)) missing.push(seq);
  return missing;
}
