import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { ensureBucket, ensureTables, tableNames, tablesOwnedBy } from '@rolecall/shared/aws';
import type { RolecallConfig } from '@rolecall/shared/config';
import { cacheStreams, crawlerEvents, crawlerStreams } from '@rolecall/shared/contracts';
import type { Logger } from '@rolecall/shared/log';
import type { RunningService } from '@rolecall/shared/runtime';
import {
  createDurableConsumer,
  deadLetterStream,
  DEFAULT_ACK_WAIT_MS,
  ensureStreams,
  readEvent,
  type DurableConsumer,
} from '@rolecall/shared/nats';
import { redisKeys, type Redis } from '@rolecall/shared/redis';
import { createDynamoAccountStore } from './adapters/dynamo-account-store.js';
import { createDynamoCrawlStateStore } from './adapters/dynamo-crawl-state-store.js';
import { createDynamoItemStore } from './adapters/dynamo-item-store.js';
import { createJetStreamChangePublisher } from './adapters/jetstream-change-publisher.js';
import { createRedisReadModel } from './adapters/redis-read-model.js';
import { createS3SnapshotWriter } from './adapters/s3-snapshot-writer.js';
import { createCompleteCrawlHandler } from './handlers/complete-crawl.js';
import type { HandlerDeps, Outcome } from './handlers/deps.js';
import { createRecordCrawlStartedHandler } from './handlers/record-crawl-started.js';
import { createReadModelRefiller } from './handlers/refill-read-model.js';
import { createReplaceAccountsHandler } from './handlers/replace-accounts.js';
import { createStoreResourceBatchHandler } from './handlers/store-resource-batch.js';

/** The durable consumer on CRAWL_RESULTS that every cache process shares. */
export const CACHE_DURABLE = 'cache';

export interface CacheServiceDeps {
  config: RolecallConfig;
  /** JetStream is used through this connection; the caller drains it after `stop`. */
  nc: NatsConnection;
  redis: Redis;
  dynamo: DynamoDBClient;
  s3: S3Client;
  log: Logger;
  /**
   * This process's name, the `source` of the change events it publishes (default `cache`), so that which
   * copy stored what can be told apart, as the crawler's and broker's events are.
   */
  instance?: string;
  /** Messages handled at once (default 8). */
  concurrency?: number;
  /**
   * Ack wait of the shared consumer (default 5 s): a crashed process's messages are handled again after
   * it. Messages in progress are kept alive by progress acks, so a long batch is not handed out twice.
   */
  ackWaitMs?: number;
  /** How often a missing `loaded` marker is checked for (default 30 s). */
  refillIntervalMs?: number;
}

/**
 * `start` creates its stream, tables and bucket if missing, refills an empty Redis, then starts consuming
 * (waiting for the crawler to have created CRAWL_RESULTS, if it has not yet); `stop` stops consuming and
 * waits for messages in progress.
 */
export interface CacheService extends RunningService {
  /** Refills Redis from DynamoDB if its `loaded` marker is missing; true when this call refilled it. */
  refillIfEmpty(): Promise<boolean>;
}

/** What the cache consumes from CRAWL_RESULTS; the envelope's type picks the handler. */
const crawlResults = {
  started: crawlerEvents.started,
  batch: crawlerEvents.batch,
  completed: crawlerEvents.completed,
  accounts: crawlerEvents.accountsDiscovered,
} as const;

export function buildCacheService(deps: CacheServiceDeps): CacheService {
  const { config, nc, redis, dynamo, s3, log } = deps;
  const js = jetstream(nc);
  const tables = tableNames(config.dynamodb.tablePrefix);
  const doc = DynamoDBDocumentClient.from(dynamo, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
  const handlerDeps: HandlerDeps = {
    items: createDynamoItemStore({ doc, tables }),
    state: createDynamoCrawlStateStore({ doc, tables }),
    accounts: createDynamoAccountStore({ doc, tables }),
    readModel: createRedisReadModel({ redis, keys: redisKeys(config.redis.keyPrefix) }),
    changes: createJetStreamChangePublisher({ js, source: deps.instance ?? 'cache' }),
    snapshots: createS3SnapshotWriter({ s3, bucket: config.s3.bucket, prefix: config.s3.snapshotPrefix }),
    log,
    newWriteId: randomUUID,
    now: () => new Date(),
  };
  const handlers = {
    started: createRecordCrawlStartedHandler(handlerDeps),
    batch: createStoreResourceBatchHandler(handlerDeps),
    completed: createCompleteCrawlHandler(handlerDeps),
    accounts: createReplaceAccountsHandler(handlerDeps),
  };
  const refillIfEmpty = createReadModelRefiller({ ...handlerDeps, lockTtlMs: 5 * 60_000 });

  const route = (msg: JsMsg): Promise<Outcome> => {
    const result = readEvent(crawlResults, msg);
    switch (result.name) {
      case 'started':
        return handlers.started(result.envelope.data);
      case 'batch':
        return handlers.batch(result.envelope.data);
      case 'completed':
        return handlers.completed(result.envelope.data);
      case 'accounts':
        return handlers.accounts(result.envelope.data);
    }
  };

  let consumer: DurableConsumer | undefined;
  let refillTimer: NodeJS.Timeout | undefined;
  let refilling: Promise<unknown> | undefined;

  const refillQuietly = () => {
    refilling ??= refillIfEmpty()
      .catch((error: unknown) => log.error({ err: error }, 'redis refill failed'))
      .finally(() => {
        refilling = undefined;
      });
  };

  return {
    refillIfEmpty,
    async start() {
      // The cache's own stream, and where its consumer puts messages aside; CRAWL_RESULTS is the crawler's.
      const jsm = await jetstreamManager(nc);
      await ensureStreams(jsm, [cacheStreams.resourceChanges, deadLetterStream], {
        replicas: config.nats.streamReplicas,
        log,
      });
      // Its own tables only: the broker creates `audit`, the gateway `dynamic_config`.
      await ensureTables(dynamo, config.dynamodb.tablePrefix, tablesOwnedBy('cache'));
      await ensureBucket(s3, config.s3.bucket, config.aws.region);
      await refillIfEmpty();
      consumer = createDurableConsumer({
        js,
        jsm,
        stream: crawlerStreams.crawlResults.name,
        durable: CACHE_DURABLE,
        deliver: 'all',
        concurrency: deps.concurrency ?? 8,
        maxAckPending: 1000,
        ackWaitMs: deps.ackWaitMs ?? DEFAULT_ACK_WAIT_MS,
        log,
        handle: route,
      });
      await consumer.ensure();
      await consumer.start();
      refillTimer = setInterval(refillQuietly, deps.refillIntervalMs ?? 30_000);
      log.info('cache service consuming crawl results');
    },
    async stop() {
      if (refillTimer) clearInterval(refillTimer);
      await consumer?.stop();
      await refilling;
    },
  };
}
