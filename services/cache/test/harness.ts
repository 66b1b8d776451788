import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { randomUUID } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { awsClientConfig, fromItemRow, tableNames } from '@rolecall/shared/aws';
import { parseConfig, type RolecallConfig } from '@rolecall/shared/config';
import {
  cacheEvents,
  crawlerEvents,
  crawlerStreams,
  type AwsAccount,
  type CachedItem,
  type CrawledItem,
  type CrawlStatus,
  type CrawlType,
  type EventDefinition,
  type ItemType,
  type ResourceChange,
} from '@rolecall/shared/contracts';
import { createLogger, silentLogger } from '@rolecall/shared/log';
import { STREAMS, ensureStreams, isStreamNotFound, publishEvent, readMessage } from '@rolecall/shared/nats';
import { createRedis, redisKeys, type Redis } from '@rolecall/shared/redis';
import { MOTO_CREDENTIALS, eventually, startTestEnvironment, type TestEnvironment } from '@rolecall/testing';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { buildCacheService, type CacheService } from '../src/service.js';

export function testConfig(env: TestEnvironment): RolecallConfig {
  const id = randomUUID().slice(0, 8);
  return parseConfig({
    environment: 'test',
    aws: { region: 'us-east-1', endpointUrl: env.moto.url },
    nats: { url: env.nats.url },
    redis: { url: env.redis.url, keyPrefix: `t${id}:` },
    dynamodb: { tablePrefix: `t${id}_` },
    s3: { bucket: `snapshots-${id}`, snapshotPrefix: 'snapshots/' },
  });
}

const awsOptions = (config: RolecallConfig) => ({
  region: config.aws.region,
  endpointUrl: config.aws.endpointUrl,
  credentials: MOTO_CREDENTIALS,
});

/** One DynamoDB request the cache process sent: its operation and the tables it named. */
export interface DynamoCall {
  operation: string;
  tables: string[];
}

export interface RunningCache {
  service: CacheService;
  nc: NatsConnection;
  redis: Redis;
  /** Every DynamoDB request the service sent, recorded by a middleware on its own client. */
  dynamoCalls: DynamoCall[];
  /** Graceful stop, as on SIGTERM. */
  stop(): Promise<void>;
  /** Drops the NATS connection without acking anything in progress, as a killed process would. */
  crash(): Promise<void>;
}

export async function startCache(
  config: RolecallConfig,
  options: { ackWaitMs?: number } = {},
): Promise<RunningCache> {
  const nc = await connect({ servers: config.nats.url });
  // The crawler's stream, which the crawler would create at its start (the cache only waits for it).
  await ensureStreams(await jetstreamManager(nc), [crawlerStreams.crawlResults]);
  const redis = createRedis(config.redis.url, 'cache-test');
  const dynamo = new DynamoDBClient(awsClientConfig('dynamodb', awsOptions(config)));
  const dynamoCalls: DynamoCall[] = [];
  dynamo.middlewareStack.add(
    (next, context) => async (args) => {
      dynamoCalls.push({ operation: context.commandName ?? '?', tables: tablesNamed(args.input) });
      return next(args);
    },
    { step: 'initialize', name: 'recordDynamoCalls' },
  );
  const s3 = new S3Client(awsClientConfig('s3', awsOptions(config)));
  const service = buildCacheService({
    config,
    nc,
    redis,
    dynamo,
    s3,
    log: process.env.CACHE_TEST_LOG
      ? createLogger({ service: 'cache-test', level: process.env.CACHE_TEST_LOG })
      : silentLogger(),
    // The service's own default unless a test asks otherwise: restart tests measure what production gets.
    ackWaitMs: options.ackWaitMs,
    refillIntervalMs: 500,
  });
  await service.start();
  const close = () => {
    redis.disconnect();
    dynamo.destroy();
    s3.destroy();
  };
  return {
    service,
    nc,
    redis,
    dynamoCalls,
    async stop() {
      await service.stop();
      await nc.drain();
      close();
    },
    async crash() {
      await nc.close();
      // In-flight work now fails to ack or publish; stopping only waits for it to give up.
      await service.stop().catch(() => undefined);
      close();
    },
  };
}

/** The tables a DynamoDB request names: its TableName, the keys of RequestItems, or its transaction's. */
function tablesNamed(input: unknown): string[] {
  const value = input as {
    TableName?: string;
    RequestItems?: Record<string, unknown>;
    TransactItems?: Record<string, { TableName?: string }>[];
  };
  const tables = new Set<string>();
  if (value.TableName) tables.add(value.TableName);
  for (const table of Object.keys(value.RequestItems ?? {})) tables.add(table);
  for (const action of value.TransactItems ?? []) {
    for (const op of Object.values(action)) if (op.TableName) tables.add(op.TableName);
  }
  return [...tables];
}

/** The servers and NATS connection a test file shares, and the config each of its tests gets fresh. */
export interface CacheTestContext {
  env: TestEnvironment;
  nc: NatsConnection;
  jsm: JetStreamManager;
  /** Fresh for every test: Redis, table and bucket prefixes of its own. */
  config: RolecallConfig;
}

/**
 * Registers a cache test file's hooks: servers and a NATS connection for the file; for every test,
 * empty streams and a config of its own. Read the fields inside tests and hooks, once they are set.
 */
export function useCacheTestContext(): CacheTestContext {
  const t = {} as CacheTestContext;
  beforeAll(async () => {
    t.env = await startTestEnvironment();
    t.nc = await connect({ servers: t.env.nats.url });
    t.jsm = await jetstreamManager(t.nc);
  });
  afterAll(async () => {
    await t.nc?.close();
    await t.env?.stop();
  });
  beforeEach(async () => {
    await resetStreams(t.jsm);
    t.config = testConfig(t.env);
  });
  return t;
}

/** Each test starts with empty streams, so the shared consumer sees only its own crawl. */
export async function resetStreams(jsm: JetStreamManager): Promise<void> {
  for (const name of [STREAMS.crawlResults.name, STREAMS.resourceChanges.name]) {
    try {
      await jsm.streams.delete(name);
    } catch (error) {
      if (!isStreamNotFound(error)) throw error;
    }
  }
}

export const T = (day: number, hour = 0) => new Date(Date.UTC(2026, 0, day, hour)).toISOString();

export function role(accountId: string, name: string, tags: Record<string, string> = {}): CrawledItem {
  return {
    arn: `arn:aws:iam::${accountId}:role/${name}`,
    itemType: 'iam_role',
    accountId,
    region: 'global',
    name,
    tags,
    details: {
      path: '/',
      roleId: `AROA${name.toUpperCase()}`,
      assumeRolePolicyDocument: { Version: '2012-10-17', Statement: [] },
      inlinePolicies: [],
      managedPolicies: [],
    },
  };
}

export function policy(accountId: string, name: string): CrawledItem {
  return {
    arn: `arn:aws:iam::${accountId}:policy/${name}`,
    itemType: 'managed_policy',
    accountId,
    region: 'global',
    name,
    tags: {},
    details: {
      document: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
      },
    },
  };
}

export interface CrawlSpec {
  jobId: string;
  crawlId?: string;
  accountId: string;
  crawlType?: CrawlType;
  startedAt: string;
  items: CrawledItem[];
  batchSize?: number;
  status?: 'succeeded' | 'failed';
}

/** Publishes crawl results exactly as the crawler does, each message with a fresh Nats-Msg-Id. */
export function crawlMessages(nc: NatsConnection, spec: CrawlSpec) {
  const js = jetstream(nc);
  const crawlType = spec.crawlType ?? 'iam';
  const ref = {
    jobId: spec.jobId,
    crawlId: spec.crawlId ?? `crawl-${spec.jobId}`,
    accountId: spec.accountId,
    crawlType,
    startedAt: spec.startedAt,
  };
  const size = spec.batchSize ?? 3;
  const batches: CrawledItem[][] = [];
  for (let i = 0; i < spec.items.length; i += size) batches.push(spec.items.slice(i, i + size));
  const opts = { source: 'crawler' };
  return {
    ref,
    batchCount: batches.length,
    started: () => publishEvent(js, freshId(crawlerEvents.started), ref, opts),
    batch: (seq: number) =>
      publishEvent(js, freshId(crawlerEvents.batch), { ...ref, seq, items: batches[seq] ?? [] }, opts),
    completed: () =>
      publishEvent(
        js,
        freshId(crawlerEvents.completed),
        {
          ...ref,
          finishedAt: new Date(Date.parse(spec.startedAt) + 60_000).toISOString(),
          status: spec.status ?? 'succeeded',
          batchCount: batches.length,
          itemCount: spec.items.length,
          ...(spec.status === 'failed'
            ? { error: { code: 'ACCESS_DENIED', message: 'spoke role refused' } }
            : {}),
        },
        opts,
      ),
    async all() {
      await this.started();
      for (let seq = 0; seq < batches.length; seq += 1) await this.batch(seq);
      await this.completed();
    },
  };
}

export async function publishAccounts(nc: NatsConnection, discoveredAt: string, accounts: AwsAccount[]) {
  await publishEvent(
    jetstream(nc),
    crawlerEvents.accountsDiscovered,
    { discoveryId: randomUUID(), source: 'static', discoveredAt, accounts },
    { source: 'crawler' },
  );
}

/**
 * The crawler's event with a fresh message id on every publish: a test that sends the same result twice
 * means a redelivery the cache must cope with, not one JetStream would drop.
 */
function freshId<E extends EventDefinition>(event: E): E {
  return { ...event, msgId: () => randomUUID() };
}

/** `eventually`, with `false` from the probe meaning "not yet" as well. */
export const waitFor = <T>(probe: () => Promise<T | undefined | false>, what: string, timeoutMs = 30_000) =>
  eventually(
    async () => {
      const value = await probe();
      return value === false ? undefined : value;
    },
    what,
    timeoutMs,
  );

export async function readStatus(redis: Redis, config: RolecallConfig, accountId: string, crawlType = 'iam') {
  const raw = await redis.hget(redisKeys(config.redis.keyPrefix).crawlStatus, `${accountId}:${crawlType}`);
  return raw ? (JSON.parse(raw) as CrawlStatus) : undefined;
}

/** Waits until the crawl's completion is reflected in Redis. */
export function waitForCompletion(
  redis: Redis,
  config: RolecallConfig,
  accountId: string,
  check: (s: CrawlStatus) => boolean,
) {
  return waitFor(async () => {
    const status = await readStatus(redis, config, accountId);
    return status && check(status) ? status : undefined;
  }, `crawl status of ${accountId}`);
}

/** Waits until the cache consumer has nothing pending or unacknowledged. */
export async function waitForIdle(jsm: JetStreamManager): Promise<void> {
  await waitFor(async () => {
    const info = await jsm.consumers.info(STREAMS.crawlResults.name, 'cache');
    return info.num_pending === 0 && info.num_ack_pending === 0;
  }, 'the cache consumer to be idle');
}

/** Every change event stored in RESOURCE_CHANGES (after JetStream's dedupe), in order. */
export async function storedChanges(jsm: JetStreamManager, accountId?: string): Promise<ResourceChange[]> {
  const info = await jsm.streams.info(STREAMS.resourceChanges.name);
  const changes: ResourceChange[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq += 1) {
    const msg = await jsm.streams.getMessage(STREAMS.resourceChanges.name, { seq });
    if (!msg) throw new Error(`${STREAMS.resourceChanges.name} has no message ${seq}`);
    const change = readMessage(cacheEvents.resourceChanged, msg).data;
    if (!accountId || change.accountId === accountId) changes.push(change);
  }
  return changes;
}

/** Everything the cache wrote to Redis under the prefix, in a comparable form. */
export async function dumpRedis(redis: Redis, config: RolecallConfig) {
  const keys = redisKeys(config.redis.keyPrefix);
  // The freshness version only counts changes (readers compare it for equality); a refill counts anew.
  const all = (await redis.keys(`${config.redis.keyPrefix}*`)).filter(
    (k) => k !== keys.loaded && k !== keys.refillLock && k !== keys.partitionFreshnessVersion,
  );
  const dump: Record<string, unknown> = {};
  for (const key of all.sort()) {
    const type = await redis.type(key);
    if (type === 'string') dump[key] = await redis.get(key);
    else if (type === 'hash') dump[key] = await redis.hgetall(key);
    else if (type === 'zset') dump[key] = await redis.zrange(key, 0, -1);
  }
  return dump;
}

export async function queryPartition(
  config: RolecallConfig,
  table: 'roles' | 'resources',
  partition: string,
) {
  const doc = DynamoDBDocumentClient.from(
    new DynamoDBClient(awsClientConfig('dynamodb', awsOptions(config))),
  );
  const result = await doc.send(
    new QueryCommand({
      TableName: tableNames(config.dynamodb.tablePrefix)[table],
      KeyConditionExpression: '#p = :p',
      ExpressionAttributeNames: { '#p': 'partition' },
      ExpressionAttributeValues: { ':p': partition },
    }),
  );
  doc.destroy();
  return (result.Items ?? []).map((row) => fromItemRow<CachedItem & Record<string, unknown>>(row));
}

export async function readSnapshot(config: RolecallConfig, accountId: string, itemType: ItemType) {
  const s3 = new S3Client(awsClientConfig('s3', awsOptions(config)));
  const object = await s3.send(
    new GetObjectCommand({
      Bucket: config.s3.bucket,
      Key: `${config.s3.snapshotPrefix}${accountId}/${itemType}.json.gz`,
    }),
  );
  const body = await object.Body!.transformToByteArray();
  s3.destroy();
  return JSON.parse(gunzipSync(body).toString('utf8')) as {
    accountId: string;
    itemType: string;
    crawlId: string;
    generatedAt: string;
    items: { arn: string; lastCrawlId: string }[];
  };
}
