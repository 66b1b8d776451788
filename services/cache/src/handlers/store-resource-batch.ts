import { CRAWL_TYPE_OF_ITEM, type CrawledItem, type ResourceBatch } from '@rolecall/shared/contracts';
import { contentHashOf } from '../domain/content-hash.js';
import { jobAttemptKey } from '../domain/crawl-status.js';
import { forEachLimited } from '../domain/for-each-limited.js';
import { planUpsert, triageHead, type ItemChange, type JobRef } from '../domain/plan-upsert.js';
import type { Fence } from '../domain/ports.js';
import { partitionKey, toCachedItem, type StoredItem } from '../domain/stored-item.js';
import { ACK, type HandlerDeps, type Outcome } from './deps.js';

const PUBLISH_CONCURRENCY = 16;

/**
 * crawler.result.batch. Raises the partition's fence (a batch of an older crawl than one already storing
 * is stale: acked, nothing written), reads the plain attributes of the batch's items in one request, and
 * writes only what changed: created and changed items in transactions on the fence, then Redis in one
 * round trip, then their change events. Unchanged items cost no write anywhere. Last, the batch is
 * recorded as stored with every ARN it saw, which is what the completion's sweep keeps.
 */
export function createStoreResourceBatchHandler(deps: HandlerDeps) {
  const { state, log } = deps;
  const store = createItemWriter(deps);

  return async (batch: ResourceBatch): Promise<Outcome> => {
    const fence: Fence = {
      accountId: batch.accountId,
      crawlType: batch.crawlType,
      startedAt: batch.startedAt,
      jobId: batch.jobId,
    };
    if ((await state.claimFence(fence)) === 'superseded') {
      log.warn({ jobId: batch.jobId, seq: batch.seq }, 'ignoring a batch older than a crawl already storing');
      return ACK;
    }
    const byArn = new Map<string, CrawledItem>();
    for (const item of batch.items) {
      const belongs =
        item.accountId === batch.accountId && CRAWL_TYPE_OF_ITEM[item.itemType] === batch.crawlType;
      if (belongs) byArn.set(item.arn, item);
      else log.warn({ jobId: batch.jobId, arn: item.arn }, 'item does not belong to its crawl job; skipped');
    }
    const items = [...byArn.values()];
    if ((await store(items, batch, fence)) === 'fenced') {
      log.warn(
        { jobId: batch.jobId, seq: batch.seq },
        'a newer crawl began storing during this batch; rest left',
      );
      return ACK;
    }
    await state.recordBatch(
      jobAttemptKey(batch),
      batch.seq,
      items.map((item) => item.arn),
    );
    return ACK;
  };
}

/** Stores crawled items of one job; 'fenced' when a newer crawl raised the fence before all were written. */
function createItemWriter(deps: HandlerDeps) {
  const { items, readModel, changes, newWriteId } = deps;

  return async (crawledItems: CrawledItem[], job: JobRef, fence: Fence): Promise<'stored' | 'fenced'> => {
    const partition = partitionKey(job.accountId, job.crawlType);
    const heads = await items.getHeads(partition, crawledItems);
    const pending: { crawled: CrawledItem; current: StoredItem | undefined }[] = [];
    const toRead: CrawledItem[] = [];
    for (const crawled of crawledItems) {
      const triage = triageHead(heads.get(crawled.arn), contentHashOf(crawled), job);
      if (triage === 'plan') pending.push({ crawled, current: undefined });
      else if (triage === 'read') toRead.push(crawled);
    }
    if (toRead.length > 0) {
      const full = await items.getMany(partition, toRead);
      for (const crawled of toRead) pending.push({ crawled, current: full.get(crawled.arn) });
    }

    const writes: StoredItem[] = [];
    const changeOf = new Map<string, ItemChange | undefined>();
    const done: { item: StoredItem; change: ItemChange | undefined }[] = [];
    for (const { crawled, current } of pending) {
      const plan = planUpsert({ current, crawled, job, writeId: newWriteId() });
      if (plan.action === 'repeat') done.push({ item: plan.item, change: plan.change });
      if (plan.action !== 'write') continue;
      writes.push(plan.item);
      changeOf.set(plan.item.arn, plan.change);
    }
    const outcome = await items.writeAll(writes, fence);
    for (const item of outcome.written) done.push({ item, change: changeOf.get(item.arn) });
    // What DynamoDB holds reaches Redis, then subscribers, also when the fence stopped the rest.
    await readModel.putItems(done.map(({ item }) => toCachedItem(item)));
    await forEachLimited(done, PUBLISH_CONCURRENCY, async ({ item, change }) => {
      if (change) await changes.publish(changeEvent(item, job, change));
    });
    return outcome.fenced ? 'fenced' : 'stored';
  };
}

function changeEvent(item: StoredItem, job: JobRef, change: ItemChange) {
  return {
    change: change.kind,
    arn: item.arn,
    itemType: item.itemType,
    accountId: item.accountId,
    crawlId: job.crawlId,
    jobId: job.jobId,
    ...(change.before ? { before: change.before } : {}),
    ...(change.after ? { after: change.after } : {}),
  };
}
