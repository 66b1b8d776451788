import type { CachedItem, CrawlCompletion, ItemType } from '@rolecall/shared/contracts';
import { applyCompleted, missingBatches } from '../domain/crawl-status.js';
import { itemTypesOf, toCachedItem, type StoredItem } from '../domain/stored-item.js';
import { ACK, forEachLimited, jobAttemptKey, type HandlerDeps, type Outcome } from './deps.js';
import { updateStatus } from './update-status.js';

const SWEEP_CONCURRENCY = 8;
/** Batches of one job may still be in flight on another cache process: look again soon. */
const WAIT_FOR_BATCHES_MS = 1000;

/**
 * crawler.result.completed. A failed crawl only records its error. A succeeded one waits until every
 * batch is stored, deletes what the crawl no longer saw (tombstone, event, delete), writes the S3
 * snapshots and the status. Each step can be repeated: a redelivery finishes what a crash left.
 */
export function createCompleteCrawlHandler(deps: HandlerDeps) {
  const { state, items, readModel, changes, snapshots, log, now } = deps;

  return async (completion: CrawlCompletion): Promise<Outcome> => {
    const { accountId, crawlType, jobId, startedAt } = completion;
    const current = await state.getStatus(accountId, crawlType);
    if (current?.lastCompletedStartedAt !== undefined && current.lastCompletedStartedAt > startedAt) {
      log.info({ jobId }, 'completion older than one already applied; nothing to do');
      return ACK;
    }
    if (current?.lastCompletedJobId === jobId && current.lastCompletedStartedAt === startedAt) {
      await readModel.putStatus(current);
      return ACK;
    }

    if (completion.status === 'failed') {
      await updateStatus(deps, accountId, crawlType, (status) =>
        applyCompleted(status, completion, status.itemCount),
      );
      log.warn({ jobId, accountId, crawlType, error: completion.error }, 'crawl failed; nothing deleted');
      return ACK;
    }

    const missing = missingBatches(
      await state.recordedBatches(jobAttemptKey(completion), completion.batchCount),
      completion.batchCount,
    );
    if (missing.length > 0) {
      return {
        kind: 'retry',
        delayMs: WAIT_FOR_BATCHES_MS,
        reason: `waiting for ${missing.length} of ${completion.batchCount} batches`,
      };
    }

    const kept = await sweep(completion);
    const generatedAt = now().toISOString();
    for (const itemType of itemTypesOf(crawlType)) {
      await snapshots.write({
        accountId,
        itemType,
        crawlId: completion.crawlId,
        generatedAt,
        items: (kept.get(itemType) ?? []).sort((a, b) => (a.arn < b.arn ? -1 : a.arn > b.arn ? 1 : 0)),
      });
    }
    const itemCount = [...kept.values()].reduce((sum, list) => sum + list.length, 0);
    await updateStatus(deps, accountId, crawlType, (status) => applyCompleted(status, completion, itemCount));
    log.info({ jobId, accountId, crawlType, itemCount }, 'crawl complete');
    return ACK;
  };

  /** Deletes every item this crawl did not see; returns the items that stay, by type. */
  async function sweep(completion: CrawlCompletion): Promise<Map<ItemType, CachedItem[]>> {
    const { jobId, startedAt } = completion;
    const kept = new Map<ItemType, CachedItem[]>();
    const keep = (item: StoredItem) => {
      const list = kept.get(item.itemType) ?? [];
      list.push(toCachedItem(item));
      kept.set(item.itemType, list);
    };
    for await (const page of items.queryPartition(completion.accountId, completion.crawlType)) {
      await forEachLimited(page, SWEEP_CONCURRENCY, async (item) => {
        if (item.seenAt >= startedAt) {
          if (item.deletedByJob === undefined) keep(item);
          return;
        }
        // Another (newer) sweep owns this deletion and will finish it.
        if (item.deletedByJob !== undefined && item.deletedByJob !== jobId) return;
        if (item.deletedByJob === undefined && !(await items.tombstone(item, jobId, startedAt))) {
          const fresh = await items.get(item.itemType, item.partition, item.arn);
          if (fresh && fresh.seenAt >= startedAt && fresh.deletedByJob === undefined) keep(fresh);
          return;
        }
        await changes.publish(
          {
            change: 'deleted',
            arn: item.arn,
            itemType: item.itemType,
            accountId: item.accountId,
            crawlId: completion.crawlId,
            jobId,
            before: toCachedItem(item),
          },
          `${jobId}:${item.arn}:deleted`,
        );
        await items.deleteTombstoned(item, jobId, startedAt);
        await readModel.removeItem(item, startedAt);
      });
    }
    return kept;
  }
}
