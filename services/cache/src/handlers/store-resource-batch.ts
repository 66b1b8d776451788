import { CRAWL_TYPE_OF_ITEM, type CrawledItem, type ResourceBatch } from '@rolecall/shared/contracts';
import { AppError } from '@rolecall/shared/errors';
import { planUpsert, type JobRef } from '../domain/plan-upsert.js';
import { partitionKey, toCachedItem, type StoredItem } from '../domain/stored-item.js';
import { jobAttemptKey } from '../domain/crawl-status.js';
import { forEachLimited } from '../domain/for-each-limited.js';
import { ACK, type HandlerDeps, type Outcome } from './deps.js';

const ITEM_CONCURRENCY = 8;
const MAX_ATTEMPTS = 10;

/**
 * crawler.result.batch: upserts every item (DynamoDB, then Redis, then the change event), then
 * records the batch as stored so the completion knows when the crawl is whole.
 */
export function createStoreResourceBatchHandler(deps: HandlerDeps) {
  const { state, log } = deps;
  const upsert = createItemUpserter(deps);

  return async (batch: ResourceBatch): Promise<Outcome> => {
    const status = await state.getStatus(batch.accountId, batch.crawlType);
    if (status?.lastSweptStartedAt !== undefined && status.lastSweptStartedAt > batch.startedAt) {
      // A newer complete crawl already swept this partition; this data is older than what it saw.
      log.warn({ jobId: batch.jobId, seq: batch.seq }, 'ignoring a batch older than the last complete crawl');
      return ACK;
    }
    const items = batch.items.filter((item) => {
      const belongs =
        item.accountId === batch.accountId && CRAWL_TYPE_OF_ITEM[item.itemType] === batch.crawlType;
      if (!belongs) {
        log.warn({ jobId: batch.jobId, arn: item.arn }, 'item does not belong to its crawl job; skipped');
      }
      return belongs;
    });
    // One BatchGetItem for the whole batch instead of a GetItem per item; each write stays conditional,
    // so an item changed since this read is simply read again and re-planned.
    const current = await deps.items.getMany(partitionKey(batch.accountId, batch.crawlType), items);
    await forEachLimited(items, ITEM_CONCURRENCY, (item) =>
      upsert(item, batch, { known: current.get(item.arn) }),
    );
    await state.recordBatch(jobAttemptKey(batch), batch.seq);
    return ACK;
  };
}

export function createItemUpserter(deps: HandlerDeps) {
  const { items, readModel, changes, newWriteId } = deps;
  /** `prefetched.known` is what a batch read found (undefined: absent); without it the item is read here. */
  return async (
    crawled: CrawledItem,
    job: JobRef,
    prefetched?: { known: StoredItem | undefined },
  ): Promise<void> => {
    const partition = partitionKey(job.accountId, job.crawlType);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      const current =
        attempt === 0 && prefetched
          ? prefetched.known
          : await items.get(crawled.itemType, partition, crawled.arn);
      const plan = planUpsert({ current, crawled, job, writeId: newWriteId() });
      if (plan.action === 'skip') return;
      if (plan.action === 'write' && !(await items.put(plan.item, current?.writeId))) continue;
      await readModel.putItem(toCachedItem(plan.item));
      if (plan.change) {
        await changes.publish({
          change: plan.change.kind,
          arn: crawled.arn,
          itemType: crawled.itemType,
          accountId: crawled.accountId,
          crawlId: job.crawlId,
          jobId: job.jobId,
          ...(plan.change.before ? { before: plan.change.before } : {}),
          ...(plan.change.after ? { after: plan.change.after } : {}),
        });
      }
      return;
    }
    throw new AppError('CONFLICT', `item ${crawled.arn} kept changing while being stored`, {
      retryable: true,
    });
  };
}
