import type { NatsConnection } from '@nats-io/transport-node';
import { parseConfig } from '@rolecall/shared/config';
import { silentLogger } from '@rolecall/shared/log';
import { type Redis } from '@rolecall/shared/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import type { GatewayApp } from '../src/routes/deps.js';
import { startSeededGateway, type SeededGateway } from './support/seeded-gateway.js';
import { ACCOUNTS, PROD, USER, demoItems } from './seed.js';

const prefix = 'gw-auth:';
let gateway: SeededGateway | undefined;
let redis: Redis;
let nc: NatsConnection;
let app: GatewayApp;

beforeAll(async () => {
  gateway = await startSeededGateway({
    prefix,
    seed: { items: demoItems(), accounts: ACCOUNTS },
    config: { gateway: { trustedProxies: ['127.0.0.1', '10.1.0.0/16'], bodyLimitBytes: 2048 } },
  });
  ({ app, redis, nc } = gateway);
});

afterAll(async () => {
  await gateway?.stop();
});

const rolePath = `/api/v2/roles/${PROD}/admin`;

describe('identity', () => {
  it('answers 401 UNAUTHENTICATED JSON when no identity headers are sent', async () => {
    const response = await app.inject({ method: 'GET', url: rolePath });
    expect(response.statusCode).toBe(401);
    expect(response.headers['content-type']).toContain('application/json');
    expect(response.json()).toMatchObject({ code: 'UNAUTHENTICATED', status: 401, title: 'Unauthorized' });
  });

  it('ignores identity headers from an address that is not a trusted proxy', async () => {
    for (const remoteAddress of ['192.0.2.7', '10.2.0.1', '::2']) {
      const response = await app.inject({
        method: 'GET',
        url: '/api/v3/cache/status',
        headers: USER,
        remoteAddress,
      });
      expect({ remoteAddress, status: response.statusCode }).toEqual({ remoteAddress, status: 401 });
    }
  });

  it('believes identity headers from a trusted address, an IPv4-mapped one and a trusted range', async () => {
    for (const remoteAddress of ['127.0.0.1', '::ffff:127.0.0.1', '10.1.44.5']) {
      const response = await app.inject({ method: 'GET', url: rolePath, headers: USER, remoteAddress });
      expect({ remoteAddress, status: response.statusCode }).toEqual({ remoteAddress, status: 200 });
    }
  });

  it('does not take the peer address from X-Forwarded-For', async () => {
    const response = await app.inject({
      method: 'GET',
      url: rolePath,
      headers: { ...USER, 'x-forwarded-for': '127.0.0.1' },
      remoteAddress: '192.0.2.7',
    });
    expect(response.statusCode).toBe(401);
  });

  it('refuses an empty user header', async () => {
    const response = await app.inject({
      method: 'GET',
      url: rolePath,
      headers: { 'x-forwarded-email': '  ' },
    });
    expect(response.statusCode).toBe(401);
  });

  it('checks identity before reading the body, so anonymous callers learn nothing about validation', async () => {
    const response = await app.inject({ method: 'POST', url: '/api/v2/policies', payload: { nope: true } });
    expect(response.statusCode).toBe(401);
  });

  it('serves health, docs and the OpenAPI document without identity', async () => {
    const health = await app.inject({ method: 'GET', url: '/healthcheck' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toEqual({ status: 'ok' });
    const ui = await app.inject({ method: 'GET', url: '/docs' });
    expect([200, 302]).toContain(ui.statusCode);
    const spec = await app.inject({ method: 'GET', url: '/docs/json' });
    expect(spec.statusCode).toBe(200);
    const doc = spec.json<{
      paths: Record<
        string,
        Record<
          string,
          { parameters?: { name: string }[]; requestBody?: unknown; responses: Record<string, unknown> }
        >
      >;
    }>();
    for (const [path, method] of [
      ['/api/v2/policies', 'post'],
      ['/api/v3/resources', 'get'],
      ['/api/v2/roles/{accountId}/{roleName}', 'get'],
      ['/api/v2/resources/{accountId}/{kind}/{*}', 'get'],
      ['/api/v2/typeahead/resources', 'get'],
      ['/api/v1/policies/typeahead', 'get'],
      ['/api/v3/cache/refresh', 'post'],
      ['/api/v3/cache/status', 'get'],
      ['/healthcheck', 'get'],
      ['/readyz', 'get'],
      ['/api/v1/get_credentials', 'post'],
      ['/api/v1/get_roles', 'get'],
      ['/api/v2/get_roles', 'get'],
      ['/api/v2/eligible_roles', 'post'],
      ['/api/v2/roles', 'get'],
      ['/api/v2/get_resource_url', 'get'],
      ['/api/v2/role_login/{*}', 'get'],
      ['/noauth/v1/challenge_generator/{user}', 'get'],
      ['/noauth/v1/challenge_poller/{token}', 'get'],
      ['/api/v2/challenge_validator/{token}', 'get'],
      ['/api/v2/challenge_validator/{token}', 'post'],
      ['/api/v2/dynamic_config', 'get'],
      ['/api/v2/dynamic_config', 'post'],
      ['/api/v2/audit/roles', 'get'],
      ['/api/v2/audit/roles/{accountId}/{roleName}/access', 'get'],
      ['/api/v3/audit/credentials', 'get'],
    ] as const) {
      const operation = doc.paths[path]?.[method];
      expect({ path, documented: operation !== undefined }).toEqual({ path, documented: true });
      expect(Object.keys(operation?.responses ?? {})).not.toHaveLength(0);
    }
    expect(doc.paths['/api/v3/resources']?.get?.parameters?.map((p) => p.name)).toEqual(
      expect.arrayContaining(['query', 'type', 'account', 'tag', 'limit', 'cursor']),
    );
    expect(doc.paths['/api/v2/policies']?.post?.requestBody).toBeDefined();
  });
});

describe('start-up checks', () => {
  // As main.ts does it: the config is validated for the gateway, then the app is built from it. A refusal
  // from either step rejects.
  const buildFromRaw = async (raw: unknown) =>
    buildApp({
      config: parseConfig(raw, 'config', { service: 'gateway' }),
      redis,
      nc,
      log: silentLogger(),
    });

  it('refuses to build a production gateway without a JWT secret of at least 32 characters', async () => {
    for (const jwt of [{}, { secret: 'too-short' }]) {
      await expect(buildFromRaw({ environment: 'production', auth: { jwt } })).rejects.toMatchObject({
        code: 'INVALID_CONFIG',
        message: expect.stringContaining('auth.jwt.secret') as string,
      });
    }
  });

  it('refuses the demo federation stand-in in production', async () => {
    const raw = {
      environment: 'production',
      auth: { jwt: { secret: 'x'.repeat(40) } },
      demo: { federationStandIn: true },
    };
    await expect(buildFromRaw(raw)).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
    });
  });
});

describe('bad input', () => {
  const post = (headers: Record<string, string>, payload: string) =>
    app.inject({ method: 'POST', url: '/api/v2/policies', headers: { ...USER, ...headers }, payload });

  it('answers 413 BODY_TOO_LARGE for a body over the configured limit', async () => {
    const response = await post(
      { 'content-type': 'application/json' },
      JSON.stringify({ filters: { arn: 'x'.repeat(4000) } }),
    );
    expect(response.statusCode).toBe(413);
    expect(response.json<{ code: string }>().code).toBe('BODY_TOO_LARGE');
  });

  it('answers 400 for JSON that does not parse, is empty, or carries a prototype key', async () => {
    for (const payload of ['{"filters":', '', '{"__proto__":{"admin":true}}']) {
      const response = await post({ 'content-type': 'application/json' }, payload);
      expect({ payload, status: response.statusCode, code: response.json<{ code: string }>().code }).toEqual({
        payload,
        status: 400,
        code: 'VALIDATION_FAILED',
      });
    }
  });

  it('answers 415 for a body that is not JSON', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const response = await post({ 'content-type': type }, 'limit=5');
      expect({ type, status: response.statusCode, code: response.json<{ code: string }>().code }).toEqual({
        type,
        status: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
      });
    }
  });

  it('names the offending field paths in validation messages', async () => {
    const response = await post(
      { 'content-type': 'application/json' },
      JSON.stringify({ filters: { arn: 1 }, limit: 0 }),
    );
    const body = response.json<{ code: string; message: string }>();
    expect(body.code).toBe('VALIDATION_FAILED');
    expect(body.message).toContain('body/filters/arn');
    expect(body.message).toContain('body/limit');
  });

  it('answers unknown routes with a JSON 404 ROUTE_NOT_FOUND, signed in or not', async () => {
    for (const headers of [USER, {}]) {
      const response = await app.inject({ method: 'GET', url: '/api/v3/nothing-here', headers });
      expect(response.statusCode).toBe(404);
      expect(response.json()).toMatchObject({ code: 'ROUTE_NOT_FOUND' });
    }
    const v2 = await app.inject({ method: 'PATCH', url: `/api/v2/roles/${PROD}/admin`, headers: USER });
    expect(v2.statusCode).toBe(404);
    expect(v2.json()).toMatchObject({ code: 'ROUTE_NOT_FOUND', status: 404, title: 'Not Found' });
  });
});

describe('request limits', () => {
  it('answers 414 URI_TOO_LONG for a URL over 8 KiB and 431 HEADERS_TOO_LARGE for headers over 16 KiB', async () => {
    const long = await app.inject({
      method: 'GET',
      url: `/api/v3/resources?query=${'a'.repeat(9000)}`,
      headers: USER,
    });
    expect(long.statusCode).toBe(414);
    expect(long.json()).toMatchObject({
      code: 'URI_TOO_LONG',
      message: expect.stringContaining('8192') as string,
    });
    const heavy = await app.inject({
      method: 'GET',
      url: '/api/v3/cache/status',
      headers: { ...USER, 'x-padding': 'p'.repeat(17_000) },
    });
    expect(heavy.statusCode).toBe(431);
    expect(heavy.json()).toMatchObject({ code: 'HEADERS_TOO_LARGE' });
  });

  it('answers a request too large for the HTTP parser with 431 in the {code, message} shape', async () => {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as { port: number };
    const response = await fetch(`http://127.0.0.1:${port}/api/v3/cache/status`, {
      headers: { ...USER, 'x-padding': 'p'.repeat(70_000) },
    });
    expect(response.status).toBe(431);
    expect(await response.json()).toMatchObject({
      code: 'HEADERS_TOO_LARGE',
      message: expect.any(String) as string,
    });
    // Under the parser's limit, the gateway's own limit answers, also in the project's shape.
    const long = await fetch(`http://127.0.0.1:${port}/api/v3/resources?query=${'a'.repeat(20_000)}`, {
      headers: USER,
    });
    expect(long.status).toBe(414);
    expect(await long.json()).toMatchObject({ code: 'URI_TOO_LONG' });
  });

  it('answers 400 for text that is not valid Unicode, in a body, a query or a path', async () => {
    const body = await app.inject({
      method: 'POST',
      url: '/api/v2/policies',
      headers: { ...USER, 'content-type': 'application/json' },
      payload: '{"filters":{"arn":"\\ud800x"}}',
    });
    expect(body.statusCode).toBe(400);
    expect(body.json()).toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringContaining('body/filters/arn is not valid Unicode') as string,
    });
    const key = await app.inject({
      method: 'POST',
      url: '/api/v2/policies',
      headers: { ...USER, 'content-type': 'application/json' },
      payload: '{"filters":{"\\udc00":"x"}}',
    });
    expect(key.statusCode).toBe(400);
    // A well-formed pair (an emoji) is fine.
    const fine = await app.inject({
      method: 'POST',
      url: '/api/v2/policies',
      headers: { ...USER, 'content-type': 'application/json' },
      payload: '{"filters":{"arn":"\\ud83d\\ude00"}}',
    });
    expect(fine.statusCode).toBe(200);
  });

  it('lists 413, 414, 415, 431 and 503 among the responses of every operation that can give them', async () => {
    const spec = (await app.inject({ method: 'GET', url: '/docs/json' })).json<{
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    }>();
    const missing: string[] = [];
    for (const [path, operations] of Object.entries(spec.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const wanted = [
          '414',
          '431',
          '503',
          ...(['post', 'put', 'patch'].includes(method) ? ['413', '415'] : []),
        ];
        for (const status of wanted)
          if (!(status in operation.responses)) missing.push(`${method} ${path} ${status}`);
      }
    }
    expect(missing).toEqual([]);
    expect(Object.keys(spec.paths).length).toBeGreaterThan(15);
  });
});
