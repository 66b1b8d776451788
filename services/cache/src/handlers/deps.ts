import pLimit from 'p-limit';
import type { DeliveryOutcome } from '@rolecall/shared/nats';
import type { Logger } from '@rolecall/shared/log';
import type {
  AccountStore,
  ChangePublisher,
  CrawlStateStore,
  ItemStore,
  ReadModel,
  SnapshotWriter,
} from '../domain/ports.js';

/** Everything the handlers use, all behind our own ports. */
export interface HandlerDeps {
  items: ItemStore;
  state: CrawlStateStore;
  accounts: AccountStore;
  readModel: ReadModel;
  changes: ChangePublisher;
  snapshots: SnapshotWriter;
  log: Logger;
  newWriteId: () => string;
  now: () => Date;
}

/** What to do with a message after handling it (the shared consumer's delivery outcome). */
export type Outcome = DeliveryOutcome;
export const ACK: Outcome = { kind: 'ack' };

/** Runs `work` over `values` with at most `limit` at a time; the first failure rejects. */
export async function forEachLimited<T>(
  values: readonly T[],
  limit: number,
  work: (value: T) => Promise<void>,
): Promise<void> {
  await pLimit(limit).map(values, (value) => work(value));
}

/** Identifies one attempt of a job: a crawler that retries a job re-sends its started time. */
export const jobAttemptKey = (job: { jobId: string; startedAt: string }) => `${job.jobId}@${job.startedAt}`;
