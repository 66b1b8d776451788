import type { CrawlCompletion, ItemType } from '@rolecall/shared/contracts';
import { applyCompleted, jobAttemptKey, missingBatches } from '../domain/crawl-status.js';
import { forEachLimited } from '../domain/for-each-limited.js';
import { withFreshness } from '../domain/freshness.js';
import type { Fence } from '../domain/ports.js';
import { createSnapshotBuilder, type SnapshotBuilder } from '../domain/snapshot-builder.js';
import { itemTypesOf, toCachedItem, type ItemHead } from '../domain/stored-item.js';
import { updateStatus } from '../domain/update-status.js';
import { ACK, type HandlerDeps, type Outcome } from './deps.js';

const SWEEP_CONCURRENCY = 8;
/** Batches of one job may still be in flight on another cache process: look again soon. */
const WAIT_FOR_BATCHES_MS = 1000;

/** What a sweep found: the live items, the item types whose snapshot changed, and whether it was whole. */
interface SweepResult {
  itemCount: number;
  changedTypes: Set<ItemType>;
  /** False when a newer crawl began storing before or during the sweep: it deleted only what it had begun. */
  whole: boolean;
}

/**
 * crawler.result.completed. A failed crawl only records its error. A succeeded one waits until every
 * batch is stored, then sweeps: what no batch of this crawl saw and no newer crawl wrote is deleted
 * (tombstone, event, delete), and nothing else. It rewrites the S3 snapshots of the item types that
 * changed, and records the status, whose sweep mark is every live item's freshness. Each step can be
 * repeated: a redelivery finishes what a crash left.
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

    const recorded = await state.recordedBatches(jobAttemptKey(completion), completion.batchCount);
    const missing = missingBatches(recorded.seqs, completion.batchCount);
    if (missing.length > 0) {
      return {
        kind: 'retry',
        delayMs: WAIT_FOR_BATCHES_MS,
        reason: `waiting for ${missing.length} of ${completion.batchCount} batches`,
      };
    }

    const fence: Fence = { accountId, crawlType, startedAt, jobId };
    const deleting = (await state.claimFence(fence)) === 'current';
    const result = await sweep(completion, recorded.seen, fence, deleting);
    if (result.whole) {
      // The first complete crawl writes every type's snapshot, empty ones included; later ones only
      // those of the types they changed.
      const types =
        current?.lastSweptStartedAt === undefined ? itemTypesOf(crawlType) : [...result.changedTypes];
      await writeSnapshots(completion, types);
    } else {
      log.info({ jobId, accountId, crawlType }, 'a newer crawl is storing; it deletes and snapshots instead');
    }
    await updateStatus(deps, accountId, crawlType, (status) =>
      applyCompleted(status, completion, result.itemCount, result.whole),
    );
    log.info({ jobId, accountId, crawlType, itemCount: result.itemCount }, 'crawl complete');
    return ACK;
  };

  /**
   * Reads the partition's plain attributes only: an item some batch saw, or that a newer crawl wrote,
   * stays; one this job already tombstoned is finished; the rest is deleted while `deleting` holds (the
   * fence is this crawl's; every tombstone is conditional on it staying so).
   */
  async function sweep(
    completion: CrawlCompletion,
    seen: ReadonlySet<string>,
    fence: Fence,
    deleting: boolean,
  ): Promise<SweepResult> {
    const { jobId, startedAt } = completion;
    const result: SweepResult = { itemCount: 0, changedTypes: new Set(), whole: deleting };
    for await (const page of items.queryHeads(completion.accountId, completion.crawlType)) {
      const doomed: ItemHead[] = [];
      for (const head of page) {
        if (head.deletedByJob === jobId) doomed.push(head);
        // Another (newer) sweep owns this deletion and will finish it.
        else if (head.deletedByJob !== undefined) continue;
        else if (seen.has(head.arn) || head.seenAt >= startedAt || !result.whole) {
          result.itemCount += 1;
          if (head.changedByJob === jobId) result.changedTypes.add(head.itemType);
        } else doomed.push(head);
      }
      await forEachLimited(doomed, SWEEP_CONCURRENCY, async (head) => {
        if (await deleteOne(head)) result.changedTypes.add(head.itemType);
        else result.itemCount += 1;
      });
    }
    return result;

    /** True when the item is (being) deleted; false when it stays (seen again, or the fence moved). */
    async function deleteOne(head: ItemHead): Promise<boolean> {
      if (head.deletedByJob !== jobId) {
        if (!result.whole) return false;
        const outcome = await items.tombstone(head, jobId, fence);
        if (outcome === 'fenced') {
          result.whole = false;
          return false;
        }
        if (outcome === 'changed') {
          const fresh = await items.get(head.itemType, head.partition, head.arn);
          return !(fresh && fresh.seenAt >= startedAt && fresh.deletedByJob === undefined);
        }
      }
      const doomed = await items.get(head.itemType, head.partition, head.arn);
      // Absent: a sweep before a crash deleted it after publishing its event; only Redis may be left.
      if (doomed) {
        await changes.publish({
          change: 'deleted',
          arn: head.arn,
          itemType: head.itemType,
          accountId: completion.accountId,
          crawlId: completion.crawlId,
          jobId,
          before: toCachedItem(doomed),
        });
        await items.deleteTombstoned(head, jobId, startedAt);
      }
      await readModel.removeItem(
        { arn: head.arn, itemType: head.itemType, accountId: completion.accountId },
        startedAt,
      );
      return true;
    }
  }

  /** Rewrites the snapshots of `types`, each item shown as seen by this crawl, which saw every live one. */
  async function writeSnapshots(completion: CrawlCompletion, types: readonly ItemType[]): Promise<void> {
    if (types.length === 0) return;
    const { accountId, crawlType, crawlId, jobId, startedAt } = completion;
    const generatedAt = now().toISOString();
    const builders = new Map<ItemType, SnapshotBuilder>(
      types.map((itemType) => [
        itemType,
        createSnapshotBuilder({ accountId, itemType, crawlId, generatedAt }),
      ]),
    );
    const freshness = { startedAt, crawlId, jobId };
    try {
      for await (const page of items.queryPartition(accountId, crawlType, types)) {
        for (const item of page) {
          if (item.deletedByJob !== undefined) continue;
          await builders.get(item.itemType)?.add(withFreshness(toCachedItem(item), freshness));
        }
      }
      for (const builder of builders.values()) await snapshots.write(builder.meta, await builder.finish());
    } catch (error) {
      for (const builder of builders.values()) builder.discard();
      throw error;
    }
  }
}
