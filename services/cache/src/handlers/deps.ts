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
