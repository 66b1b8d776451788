import type { CrawlType } from '@rolecall/shared/contracts';
import { AppError } from '@rolecall/shared/errors';
import { emptyStatus, type StatusRecord } from './crawl-status.js';
import type { CrawlStateStore, ReadModel } from './ports.js';

const MAX_ATTEMPTS = 10;

/**
 * Read, change, write with an optimistic lock on the revision, then copy to Redis. Redis is written
 * even when nothing changed, because a crash may have come between the two writes last time.
 */
export async function updateStatus(
  deps: { state: CrawlStateStore; readModel: ReadModel },
  accountId: string,
  crawlType: CrawlType,
  change: (current: StatusRecord) => StatusRecord | undefined,
): Promise<StatusRecord> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
    const current = (await deps.state.getStatus(accountId, crawlType)) ?? emptyStatus(accountId, crawlType);
    const next = change(current);
    if (!next) {
      if (current.revision > 0) await deps.readModel.putStatus(current);
      return current;
    }
    if (await deps.state.putStatus(next, current.revision)) {
      await deps.readModel.putStatus(next);
      return next;
    }
  }
  throw new AppError('CONFLICT', `crawl status ${accountId}:${crawlType} kept changing under us`, {
    retryable: true,
  });
}
