import type { NatsConnection } from '@nats-io/transport-node';
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  type ConsumerMessages,
} from '@nats-io/jetstream';
import { configEvents, configSubjects } from '../contracts/config.js';
import type { Logger } from '../log/index.js';
import { readMessage } from '../nats/messaging.js';
import { whenStreamExists } from '../nats/streams.js';
import type { DynamicConfigStore, LoadedDynamicConfig } from './store.js';

const INACTIVE_THRESHOLD_NS = 5 * 60 * 1_000_000_000;

export interface DynamicConfigWatch {
  /** The document as last loaded. */
  current(): LoadedDynamicConfig;
  stop(): Promise<void>;
}

export interface WatchDynamicConfigOptions {
  nc: NatsConnection;
  store: DynamicConfigStore;
  /** Called with the document at start and after every change; a failure is logged, not fatal. */
  onChange: (config: LoadedDynamicConfig) => Promise<void> | void;
  log: Logger;
}

/**
 * Keeps a process's copy of the dynamic config current by event, not by polling: an ephemeral
 * per-process JetStream consumer on `config.dynamic.>` from now on, and a reload from DynamoDB on each
 * event. The consumer exists before the first load, so a save between the two is never missed; until
 * the gateway has created CONFIG_CHANGES, this waits for it.
 */
export async function watchDynamicConfig(options: WatchDynamicConfigOptions): Promise<DynamicConfigWatch> {
  const { nc, store, onChange, log } = options;
  // An ephemeral consumer of this process alone: every process must see every change. The server
  // removes it after a while without a client, so a crashed process leaves nothing behind.
  const jsm = await jetstreamManager(nc);
  const stream = configEvents.dynamicConfigChanged.stream.name;
  // The gateway creates the stream; a process that starts before it waits for it (logged).
  const info = await whenStreamExists(
    stream,
    () =>
      jsm.consumers.add(stream, {
        ack_policy: AckPolicy.None,
        deliver_policy: DeliverPolicy.New,
        filter_subject: configSubjects.dynamicAll,
        inactive_threshold: INACTIVE_THRESHOLD_NS,
      }),
    { log, isClosed: () => nc.isClosed() },
  );
  const consumer = await jetstream(nc).consumers.get(stream, info.name);
  const messages: ConsumerMessages = await consumer.consume();
  let current = await store.load();
  await onChange(current);

  const loop = (async () => {
    for await (const msg of messages) {
      try {
        const event = readMessage(configEvents.dynamicConfigChanged, msg).data;
        // Several saves may arrive together; one reload shows the newest, and older events are skipped.
        if (event.sha256 === current.sha256) continue;
        const loaded = await store.load();
        if (loaded.sha256 === current.sha256) continue;
        log.info({ sha256: loaded.sha256, updatedBy: loaded.updatedBy }, 'dynamic config changed');
        // Only a change that was applied becomes current, so the next event retries a failed one.
        await onChange(loaded);
        current = loaded;
      } catch (error) {
        log.error({ err: error, subject: msg.subject }, 'applying a dynamic config change failed');
      }
    }
  })();

  return {
    current: () => current,
    async stop() {
      messages.stop();
      await loop;
    },
  };
}
