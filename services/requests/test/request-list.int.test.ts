import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import {
  requestsStreams,
  type ExtendedRequestModel,
  type PolicyRequestHistoryItem,
} from '@rolecall/shared/contracts';
import { silentLogger } from '@rolecall/shared/log';
import { deadLetterStream, ensureStreams, type DurableConsumer } from '@rolecall/shared/nats';
import { createRedis, redisKeys, type Redis } from '@rolecall/shared/redis';
import { startTestEnvironment, type TestEnvironment } from '@rolecall/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoRequestStore, type RequestStore } from '../src/adapters/dynamo-request-store.js';
import {
  createJetStreamRequestEvents,
  type RequestEventPublisher,
} from '../src/adapters/jetstream-request-events.js';
import { createRequestListFeed } from '../src/adapters/jetstream-request-list-feed.js';
import {
  createRedisRequestList,
  type RequestList,
  type RequestListQuery,
} from '../src/adapters/redis-request-list.js';
import { aRequest, nextVersion, requestsTable } from './harness.js';

let env: TestEnvironment;
let nc: NatsConnection;
let jsm: JetStreamManager;
let redis: Redis;
let doc: DynamoDBDocumentClient;
let store: RequestStore;
let list: RequestList;
let events: RequestEventPublisher;
let feed: DurableConsumer;

const keys = redisKeys(`t${randomUUID().slice(0, 8)}:`);
const PROD = '222222222222';
const DEV = '333333333333';

beforeAll(async () => {
  env = await startTestEnvironment();
  nc = await connect({ servers: env.nats.url });
  jsm = await jetstreamManager(nc);
  await ensureStreams(jsm, [requestsStreams.events, deadLetterStream]);
  redis = createRedis(env.redis.url, 'requests-list-test');
  const table = await requestsTable(env);
  doc = table.doc;
  store = createDynamoRequestStore({ doc, tableName: table.tableName });
  list = createRedisRequestList({ redis, keys, log: silentLogger(), owner: 'test' });
  events = createJetStreamRequestEvents({ js: jetstream(nc), source: 'requests-test' });
  feed = createRequestListFeed({ js: jetstream(nc), jsm, requests: store, list, log: silentLogger() });
  await feed.ensure();
  await feed.start();
});

afterAll(async () => {
  await feed?.stop();
  await nc?.drain();
  redis?.disconnect();
  doc?.destroy();
  await env?.stop();
});

const happened = (
  request: ExtendedRequestModel,
  type: 'created' | 'approved' | 'rejected',
): PolicyRequestHistoryItem => ({
  requestId: request.id,
  kind: type,
  type,
  actor: type === 'created' ? request.requester_email : 'admin@example.com',
  at: request.last_updated,
  version: request.version,
  status: request.request_status,
  principalArn: request.principal.principal_arn,
});

async function waitFor<T>(probe: () => Promise<T | undefined | false>, what: string): Promise<T> {
  for (let attempt = 0; attempt < 300; attempt += 1) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`gave up waiting for ${what}`);
}

const ids = async (query: Omit<RequestListQuery, 'limit'>, limit = 100) =>
  (await list.list({ ...query, limit })).items.map((row) => row.request_id);

/** Saves and announces requests as the service would: the save first, then the event. */
async function createAll(requests: ExtendedRequestModel[]) {
  for (const request of requests) {
    await store.create(request);
    await events.publish([happened(request, 'created')]);
  }
}

const principal = (account: string, name: string) => ({
  principal_type: 'AwsResource' as const,
  principal_arn: `arn:aws:iam::${account}:role/${name}`,
});

describe('the request list', () => {
  const base = Date.parse('2026-04-01T09:00:00Z');
  const at = (minute: number) => new Date(base + minute * 60_000).toISOString();
  const requests = [
    aRequest({
      timestamp: at(0),
      principal: principal(PROD, 'PaymentsApi'),
      requester_email: 'alice@example.com',
    }),
    aRequest({
      timestamp: at(1),
      principal: principal(DEV, 'DataLoader'),
      requester_email: 'bob@example.com',
    }),
    aRequest({
      timestamp: at(2),
      principal: principal(PROD, 'DataReader'),
      requester_email: 'bob@example.com',
    }),
    aRequest({
      timestamp: at(3),
      principal: principal(DEV, 'PaymentsWorker'),
      requester_email: 'alice@example.com',
    }),
  ];
  const newestFirst = [...requests].reverse().map((r) => r.id);

  it('is kept from the request events', async () => {
    await createAll(requests);
    await waitFor(async () => (await ids({})).length === requests.length, 'the four rows');
    expect(await ids({})).toEqual(newestFirst);
    const row = (await list.list({ limit: 1, requester: 'bob@example.com', accountId: PROD })).items[0];
    expect(row).toMatchObject({
      request_id: requests[2]?.id,
      arn: `arn:aws:iam::${PROD}:role/DataReader`,
      status: 'pending',
      username: 'bob@example.com',
      account_id: PROD,
      version: 1,
      request_time: Math.floor(base / 1000) + 120,
    });
  });

  it('filters by status, requester, account and principal ARN substring, and pages with a cursor', async () => {
    const approved = nextVersion(requests[1]!, { request_status: 'approved' });
    await store.update(approved, 1);
    await events.publish([happened(approved, 'approved')]);
    await waitFor(async () => (await ids({ status: 'approved' })).includes(approved.id), 'the approval');

    expect(await ids({ status: 'approved' })).toEqual([approved.id]);
    expect(await ids({ status: 'pending' })).toEqual(newestFirst.filter((id) => id !== approved.id));
    expect(await ids({ requester: 'alice@example.com' })).toEqual([requests[3]?.id, requests[0]?.id]);
    expect(await ids({ accountId: DEV })).toEqual([requests[3]?.id, requests[1]?.id]);
    expect(await ids({ principalArnContains: 'payments' })).toEqual([requests[3]?.id, requests[0]?.id]);
    expect(await ids({ principalArnContains: 'data', status: 'pending' })).toEqual([requests[2]?.id]);

    const paged: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await list.list({ limit: 3, cursor });
      paged.push(...page.items.map((r) => r.request_id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(paged).toEqual(newestFirst);
  });

  it('never goes back to an older version of a request, however late its event comes', async () => {
    const [first] = requests;
    const rejected = nextVersion(first!, { request_status: 'rejected' });
    await store.update(rejected, 1);
    expect(await list.upsert(rejected)).toBe(true);
    expect(await list.upsert(first!)).toBe(false);
    expect(await ids({ status: 'rejected' })).toEqual([first?.id]);
    expect(await ids({ status: 'pending' })).not.toContain(first?.id);
  });

  it('stores an event published twice once', async () => {
    const before = (await jsm.streams.info(requestsStreams.events.name)).state.messages;
    const [, , third] = requests;
    await events.publish([happened(third!, 'created')]);
    expect((await jsm.streams.info(requestsStreams.events.name)).state.messages).toBe(before);
  });

  it('is rebuilt from DynamoDB once Redis has lost it', async () => {
    const before = await list.list({ limit: 100 });
    expect(await list.rebuildIfEmpty(() => store.all())).toBe(true);
    expect(await list.rebuildIfEmpty(() => store.all())).toBe(false);

    await redis.flushdb();
    expect(await ids({})).toEqual([]);
    expect(await list.rebuildIfEmpty(() => store.all())).toBe(true);
    expect(await list.list({ limit: 100 })).toEqual(before);
    expect(await ids({ status: 'rejected' })).toEqual([requests[0]?.id]);
  });
});
