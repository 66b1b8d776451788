import { Writable } from 'node:stream';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { awsClientConfig, ensureAllTables } from '@rolecall/shared/aws';
import { parseConfig } from '@rolecall/shared/config';
import { createLogger } from '@rolecall/shared/log';
import { connectNats, ensureAllStreams } from '@rolecall/shared/nats';
import { createRedis, type Redis } from '@rolecall/shared/redis';
import { MOTO_CREDENTIALS, startTestEnvironment, type TestEnvironment } from '@rolecall/testing';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CredentialIssuer } from '../src/domain/ports.js';
import { buildBrokerService, type BrokerService } from '../src/service.js';

const REGION = 'us-east-1';
const PREFIX = 'startorder_';

let env: TestEnvironment;
let nc: NatsConnection;
let redis: Redis;
let watchRedis: Redis;
let dynamo: DynamoDBClient;
let service: BrokerService | undefined;
let logged = '';

const neverIssues: CredentialIssuer = {
  assumeRole: () => Promise.reject(new Error('no credentials are issued in this test')),
};

beforeAll(async () => {
  env = await startTestEnvironment();
  dynamo = new DynamoDBClient(
    awsClientConfig('dynamodb', { region: REGION, endpointUrl: env.moto.url, credentials: MOTO_CREDENTIALS }),
  );
  const log = createLogger({
    service: 'broker',
    level: 'debug',
    destination: new Writable({
      write(chunk: Buffer, _encoding, done) {
        logged += chunk.toString();
        done();
      },
    }),
  });
  nc = await connectNats({ url: env.nats.url, name: 'broker-start-order', log });
  await ensureAllStreams(await jetstreamManager(nc));
  redis = createRedis(env.redis.url, 'broker-start-order');
  watchRedis = createRedis(env.redis.url, 'broker-start-order-watch');
  service = buildBrokerService({
    config: parseConfig({
      environment: 'test',
      aws: { region: REGION, endpointUrl: env.moto.url },
      nats: { url: env.nats.url },
      redis: { url: env.redis.url, keyPrefix: 'so:' },
      dynamodb: { tablePrefix: PREFIX },
    }),
    nc,
    redis,
    watchRedis,
    dynamo,
    issuer: neverIssues,
    log,
    instance: 'broker-start-order',
  });
});

afterAll(async () => {
  await service?.stop();
  await nc?.drain();
  await Promise.all([redis?.quit(), watchRedis?.quit()]);
  dynamo?.destroy();
  await env?.stop();
});

describe('broker start before the owners of the tables it reads', () => {
  it('waits for the cache and gateway tables, saying whose they are, and starts once they exist', async () => {
    if (!service) throw new Error('the broker was not built');
    let started = false;
    const starting = service.start().then(() => {
      started = true;
    });
    const deadline = Date.now() + 10_000;
    while (!logged.includes(`table ${PREFIX}iam_roles does not exist yet; waiting for the cache`)) {
      if (Date.now() > deadline) throw new Error(`the broker never said it was waiting; log:\n${logged}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(started).toBe(false);

    await ensureAllTables(dynamo, PREFIX);
    await starting;
    expect(started).toBe(true);
    expect(logged).toContain(`table ${PREFIX}iam_roles exists now; going on`);
    expect(logged).toContain('broker started');
  });
});
