import type { NatsConnection } from '@nats-io/transport-node';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { awsClientConfig, ensureAllTables } from '@rolecall/shared/aws';
import { parseConfig } from '@rolecall/shared/config';
import { crawlerOperations, type StartCrawlRequest } from '@rolecall/shared/contracts';
import { AppError } from '@rolecall/shared/errors';
import { silentLogger } from '@rolecall/shared/log';
import { connectNats, serve } from '@rolecall/shared/nats';
import { createRedis, type Redis } from '@rolecall/shared/redis';
import { MOTO_CREDENTIALS, startTestEnvironment, type TestEnvironment } from '@rolecall/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import type { GatewayApp } from '../src/routes/deps.js';
import { ADMIN, DEV, PROD, USER } from './seed.js';

let env: TestEnvironment;
let redis: Redis;
let nc: NatsConnection;
let crawlerNc: NatsConnection;
let dynamo: DynamoDBClient;
let app: GatewayApp;
const tablePrefix = 'gwready_';

beforeAll(async () => {
  env = await startTestEnvironment();
  const log = silentLogger();
  redis = createRedis(env.redis.url, 'gateway-test');
  // The readiness test stops Redis on purpose; its reconnect errors are expected.
  redis.on('error', () => undefined);
  nc = await connectNats({ url: env.nats.url, name: 'gateway-test', log });
  crawlerNc = await connectNats({ url: env.nats.url, name: 'crawler-stand-in', log });
  dynamo = new DynamoDBClient(
    awsClientConfig('dynamodb', {
      region: 'us-east-1',
      endpointUrl: env.moto.url,
      credentials: MOTO_CREDENTIALS,
      maxAttempts: 1,
    }),
  );
  const config = parseConfig({
    environment: 'test',
    redis: { keyPrefix: 'gw-ops:' },
    dynamodb: { tablePrefix },
  });
  app = await buildApp({ config, redis, nc, dynamo, log, limits: { readinessTimeoutMs: 1500 } });
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await nc?.close();
  await crawlerNc?.close();
  redis?.disconnect();
  dynamo?.destroy();
  await env?.stop();
});

const refresh = (headers: Record<string, string>, payload: unknown) =>
  app.inject({ method: 'POST', url: '/api/v3/cache/refresh', headers, payload: payload as object });

describe('POST /api/v3/cache/refresh', () => {
  const received: StartCrawlRequest[] = [];
  let stopResponder: () => Promise<void>;

  beforeAll(async () => {
    // Stands in for the crawler only to capture what the gateway sends.
    const service = await serve(crawlerNc, { version: '0.0.0', log: silentLogger() }, crawlerOperations, {
      startCrawl: (request) => {
        received.push(request);
        if (request.accountIds?.includes('999999999999')) {
          return Promise.reject(
            new AppError('UNKNOWN_ACCOUNT', 'account 999999999999 is not known', {
              context: { accountId: '999999999999' },
            }),
          );
        }
        const accounts = request.accountIds ?? [PROD, DEV];
        const types = request.crawlTypes ?? ['iam'];
        return Promise.resolve({
          crawlId: 'crawl-42',
          jobs: accounts.flatMap((accountId) =>
            types.map((crawlType) => ({
              jobId: `job-${accountId}-${crawlType}`,
              accountId,
              crawlType,
              state: 'queued' as const,
            })),
          ),
        });
      },
    });
    stopResponder = () => service.stop();
  });

  it('starts a crawl for an admin: 202 with the crawl id and jobs, the request mapped for the crawler', async () => {
    const response = await refresh(ADMIN, { accountIds: [PROD], resourceTypes: ['iam', 's3'] });
    expect(response.statusCode).toBe(202);
    expect(response.json()).toEqual({
      crawlId: 'crawl-42',
      jobs: [
        { jobId: `job-${PROD}-iam`, accountId: PROD, crawlType: 'iam', state: 'queued' },
        { jobId: `job-${PROD}-s3`, accountId: PROD, crawlType: 's3', state: 'queued' },
      ],
    });
    expect(received.at(-1)).toEqual({
      accountIds: [PROD],
      crawlTypes: ['iam', 's3'],
      requestedBy: 'admin@example.com',
    });
  });

  it('accepts an empty body or none at all, meaning every account and type', async () => {
    const before = received.length;
    expect((await refresh(ADMIN, {})).statusCode).toBe(202);
    expect(
      (await app.inject({ method: 'POST', url: '/api/v3/cache/refresh', headers: ADMIN })).statusCode,
    ).toBe(202);
    expect(received.slice(before)).toEqual([
      { requestedBy: 'admin@example.com' },
      { requestedBy: 'admin@example.com' },
    ]);
  });

  it('refuses non-admins with 403 and anonymous callers with 401, without asking the crawler', async () => {
    const before = received.length;
    const forbidden = await refresh(USER, {});
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json<{ code: string }>().code).toBe('FORBIDDEN');
    expect((await refresh({}, {})).statusCode).toBe(401);
    expect(received.length).toBe(before);
  });

  it('refuses bad bodies with 400 and sends nothing to the crawler', async () => {
    const before = received.length;
    const cases: [unknown, string][] = [
      [{ accountIds: ['123'] }, 'INVALID_ACCOUNT_ID'],
      [{ accountIds: [] }, 'VALIDATION_FAILED'],
      [{ accountIds: [PROD, PROD] }, 'VALIDATION_FAILED'],
      [{ resourceTypes: ['lambda'] }, 'VALIDATION_FAILED'],
      [{ resourceTypes: 'iam' }, 'VALIDATION_FAILED'],
      [{ requestedBy: 'someone-else' }, 'VALIDATION_FAILED'],
    ];
    for (const [payload, code] of cases) {
      const response = await refresh(ADMIN, payload);
      expect({ payload, status: response.statusCode, code: response.json<{ code: string }>().code }).toEqual({
        payload,
        status: 400,
        code,
      });
    }
    expect(received.length).toBe(before);
  });

  it("passes the crawler's own error through with its code", async () => {
    const response = await refresh(ADMIN, { accountIds: ['999999999999'] });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: 'UNKNOWN_ACCOUNT', accountId: '999999999999' });
  });

  it('answers 503 CRAWLER_UNAVAILABLE when no crawler is running', async () => {
    await stopResponder();
    const response = await refresh(ADMIN, {});
    expect(response.statusCode).toBe(503);
    expect(response.json<{ code: string }>().code).toBe('CRAWLER_UNAVAILABLE');
  });
});

describe('GET /readyz', () => {
  it('answers 503 naming DynamoDB while the roles table does not exist, then 200 once it does', async () => {
    const missing = await app.inject({ method: 'GET', url: '/readyz' });
    expect(missing.statusCode).toBe(503);
    const body = missing.json<{ status: string; checks: Record<string, { ok: boolean }> }>();
    expect(body.status).toBe('not_ready');
    expect(body.checks).toMatchObject({ nats: { ok: true }, redis: { ok: true }, dynamodb: { ok: false } });

    await ensureAllTables(dynamo, tablePrefix);
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({
      status: 'ready',
      checks: { nats: { ok: true }, redis: { ok: true }, dynamodb: { ok: true } },
    });
  });

  it('answers 503 naming Redis when Redis is down, while /healthcheck still answers', async () => {
    await env.redis.stop();
    const response = await app.inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(503);
    const body = response.json<{ checks: Record<string, { ok: boolean; error?: string }> }>();
    expect(body.checks.redis?.ok).toBe(false);
    expect(body.checks.nats?.ok).toBe(true);
    expect((await app.inject({ method: 'GET', url: '/healthcheck' })).statusCode).toBe(200);
  });
});
