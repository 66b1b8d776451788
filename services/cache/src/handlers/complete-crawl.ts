import type { CrawlCompletion, ItemType } from '@rolecall/shared/contracts';
import { applyCompleted, jobAttemptKey, missingBatches } from '../domain/crawl-status.js';
import { forEachLimited } from '../domain/for-each-limited.js';
import { createSnapshotBuilder, type SnapshotBuilder } from '../domain/snapshot-builder.js';
import { itemTypesOf, toCachedItem, type StoredItem } from '../domain/stored-item.js';
import { updateStatus } from '../domain/update-status.js';
import { ACK, type HandlerDeps, type Outcome } from './deps.js';

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

    const generatedAt = now().toISOString();
    const builders = new Map<ItemType, SnapshotBuilder>(
      itemTypesOf(crawlType).map((itemType) => [
        itemType,
        createSnapshotBuilder({ accountId, itemType, crawlId: completion.crawlId, generatedAt }),
      ]),
    );
    let itemCount = 0;
    try {
      await sweep(completion, builders);
      for (const builder of builders.values()) {
        await snapshots.write(builder.meta, await builder.finish());
        itemCount += builder.count;
      }
    } catch (error) {
      for (const builder of builders.values()) builder.discard();
      throw error;
    }
    await updateStatus(deps, accountId, crawlType, (status) => applyCompleted(status, completion, itemCount));
    log.info({ jobId, accountId, crawlType, itemCount }, 'crawl complete');
    return ACK;
  };

  /**
   * Deletes every item this crawl did not see and adds the items that stay to their type's snapshot, in
   * the ARN order the query returns them (each page is decided first, then added in order).
   */
  async function sweep(completion: CrawlCompletion, builders: Map<ItemType, SnapshotBuilder>): Promise<void> {
    const { jobId, startedAt } = completion;
    for await (const page of items.queryPartition(completion.accountId, completion.crawlType)) {
      const kept: (StoredItem | undefined)[] = new Array<StoredItem | undefined>(page.length);
      await forEachLimited([...page.keys()], SWEEP_CONCURRENCY, async (index) => {
        kept[index] = await sweepOne(page[index] as StoredItem);
      });
      for (const item of kept) {
        if (item) await builders.get(item.itemType)?.add(toCachedItem(item));
      }
    }

    /** The item as it stays, or undefined when it is (being) deleted. */
    async function sweepOne(item: StoredItem): Promise<StoredItem | undefined> {
      if (item.seenAt >= startedAt) return item.deletedByJob === undefined ? item : undefined;
      // Another (newer) sweep owns this deletion and will finish it.
      if (item.deletedByJob !== undefined && item.deletedByJob !== jobId) return undefined;
      if (item.deletedByJob === undefined && !(await items.tombstone(item, jobId, startedAt))) {
        const fresh = await items.get(item.itemType, item.partition, item.arn);
        return fresh && fresh.seenAt >= startedAt && fresh.deletedByJob === undefined ? fresh : undefined;
      }
      await changes.publish({
        change: 'deleted',
        arn: item.arn,
        itemType: item.itemType,
        accountId: item.accountId,
        crawlId: completion.crawlId,
        jobId,
        before: toCachedItem(item),
      });
      await items.deleteTombstoned(item, jobId, startedAt);
      await readModel.removeItem(item, startedAt);
      return undefined;
    }
  }
}
