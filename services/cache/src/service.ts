import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { JetStreamClient, JetStreamManager, JsMsg, NatsConnection } from 'nats';
import { ensureBucket, ensureTables, tableNames } from '@rolecall/shared/aws';
import type { RolecallConfig } from '@rolecall/shared/config';
import {
  AccountsDiscovered,
  CrawlCompleted,
  CrawlStarted,
  ResourceBatchCrawled,
  crawlerSubjects,
} from '@rolecall/shared/contracts';
import { AppError } from '@rolecall/shared/errors';
import type { Logger } from '@rolecall/shared/log';
import {
  createDurableConsumer,
  DEFAULT_ACK_WAIT_MS,
  ensureStreams,
  readMessage,
  STREAMS,
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
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  redis: Redis;
  dynamo: DynamoDBClient;
  s3: S3Client;
  log: Logger;
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

export interface CacheService {
  /** Creates streams, tables and bucket if missing, refills an empty Redis, then starts consuming. */
  start(): Promise<void>;
  /** Stops consuming and waits for messages in progress; leaves connections to the caller. */
  stop(): Promise<void>;
  /** Refills Redis from DynamoDB if its `loaded` marker is missing; true when this call refilled it. */
  refillIfEmpty(): Promise<boolean>;
}

const SOURCE = 'cache';
/** Crawl results are `crawler.result.<kind>.<crawlType>.<account>`; the kind picks the handler. */
const resultKind = (subject: string) => subject.split('.')[2];

export function buildCacheService(deps: CacheServiceDeps): CacheService {
  const { config, js, jsm, redis, dynamo, s3, log } = deps;
  const tables = tableNames(config.dynamodb.tablePrefix);
  const doc = DynamoDBDocumentClient.from(dynamo, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
  const handlerDeps: HandlerDeps = {
    items: createDynamoItemStore({ doc, tables }),
    state: createDynamoCrawlStateStore({ doc, tables }),
    accounts: createDynamoAccountStore({ doc, tables }),
    readModel: createRedisReadModel({ redis, keys: redisKeys(config.redis.keyPrefix) }),
    changes: createJetStreamChangePublisher({ js, source: SOURCE }),
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
    const subject = msg.subject;
    if (subject === crawlerSubjects.accountsDiscovered) {
      return handlers.accounts(readMessage(AccountsDiscovered, msg).data);
    }
    switch (resultKind(subject)) {
      case 'started':
        return handlers.started(readMessage(CrawlStarted, msg).data);
      case 'batch':
        return handlers.batch(readMessage(ResourceBatchCrawled, msg).data);
      case 'completed':
        return handlers.completed(readMessage(CrawlCompleted, msg).data);
    }
    throw new AppError('INVALID_MESSAGE', `no handler for ${subject}`);
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
      await ensureStreams(jsm, config.nats.streamReplicas);
      await ensureTables(dynamo, config.dynamodb.tablePrefix);
      await ensureBucket(s3, config.s3.bucket, config.aws.region);
      await refillIfEmpty();
      consumer = createDurableConsumer({
        js,
        jsm,
        stream: STREAMS.crawlResults.name,
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
