import { parseConfig } from '@rolecall/shared/config';
import type { EligibleRole } from '@rolecall/shared/contracts';
import { silentLogger } from '@rolecall/shared/log';
import { connectNats } from '@rolecall/shared/nats';
import { createRedis, type Redis } from '@rolecall/shared/redis';
import { startNats, startRedis, type RunningServer } from '@rolecall/shared/testing';
import type { NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import type { GatewayApp } from '../src/routes/deps.js';
import { ACCOUNTS, DEV, PROD, demoItems, seedRedis } from './seed.js';
import { TEST_JWT_SECRET, jwtCookie } from './support/cookies.js';
import { FAILING_ROLE, startFakeBroker } from './support/fake-broker.js';

const prefix = 'gw-cred:';
const role = (accountId: string, accountName: string, roleName: string, cliOnly = false): EligibleRole => ({
  arn: `arn:aws:iam::${accountId}:role/${roleName}`,
  accountId,
  accountName,
  roleName,
  cliOnly,
});
const ADMIN_ROLE = role(PROD, 'prod', 'admin');
const PROD_DEPLOY = role(PROD, 'prod', 'deploy-bot');
const DEV_DEPLOY = role(DEV, '', 'deploy-bot');
const CLI_ONLY = role(DEV, 'dev', 'data-export', true);
const OTHERS = role(PROD, 'prod', 'payments');

let nats: RunningServer;
let redisServer: RunningServer;
let redis: Redis;
let nc: NatsConnection;
let broker: Awaited<ReturnType<typeof startFakeBroker>>;
/** CLI routes take the JWT cookie only (production default). */
let app: GatewayApp;
/** CLI routes also believe trusted headers (the demo setting), with a small rate limit. */
let lenient: GatewayApp;

const ALICE = jwtCookie('alice@example.com', ['engineering']);
const aliceHeaders = { 'x-forwarded-email': 'alice@example.com', 'x-forwarded-groups': 'engineering' };

beforeAll(async () => {
  [nats, redisServer] = await Promise.all([startNats(), startRedis()]);
  redis = createRedis(redisServer.url, 'gateway-test');
  nc = await connectNats({ url: nats.url, name: 'gateway-test', log: silentLogger() });
  await seedRedis(redis, prefix, { items: demoItems(), accounts: ACCOUNTS });
  broker = await startFakeBroker(nc, [
    { identity: 'engineering', role: PROD_DEPLOY },
    { identity: 'engineering', role: DEV_DEPLOY },
    { identity: 'alice@example.com', role: ADMIN_ROLE },
    { identity: 'alice@example.com', role: CLI_ONLY },
    { identity: 'payments', role: OTHERS },
  ]);
  const base = {
    environment: 'test',
    redis: { keyPrefix: prefix },
    auth: { jwt: { secret: TEST_JWT_SECRET } },
  };
  app = await buildApp({ config: parseConfig(base), redis, nc, log: silentLogger() });
  lenient = await buildApp({
    config: parseConfig({
      ...base,
      redis: { keyPrefix: `${prefix}lenient:` },
      auth: { ...base.auth, cliAcceptsTrustedHeaders: true },
      gateway: { rateLimit: { credentialsPerMinute: 3 } },
    }),
    redis,
    nc,
    log: silentLogger(),
  });
  await Promise.all([app.ready(), lenient.ready()]);
});

afterAll(async () => {
  await Promise.all([app?.close(), lenient?.close()]);
  await broker?.stop();
  await nc?.close();
  redis?.disconnect();
  await Promise.all([nats?.stop(), redisServer?.stop()]);
});

const getCredentials = (
  payload: unknown,
  headers: Record<string, string> = { cookie: ALICE },
  target = app,
) =>
  target.inject({
    method: 'POST',
    url: '/api/v1/get_credentials',
    headers: { 'content-type': 'application/json', 'user-agent': 'weep/ Go-http-client/1.1', ...headers },
    payload: JSON.stringify(payload) + '\n',
  });

describe('JWT cookie on CLI routes', () => {
  it('accepts a valid cookie and passes the cookie identity to the broker', async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/api/v1/get_roles?all=true',
      headers: { cookie: ALICE },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual([ADMIN_ROLE.arn, PROD_DEPLOY.arn, DEV_DEPLOY.arn, CLI_ONLY.arn].sort());
  });

  it('answers invalid_jwt for a tampered, expired, wrongly signed or garbage cookie', async () => {
    const [header, payload, signature] = (ALICE.split('=')[1] ?? '').split('.');
    const forgedPayload = Buffer.from(
      JSON.stringify({ email: 'admin@example.com', groups: ['admins'], iat: 1, exp: 4_000_000_000 }),
    ).toString('base64url');
    const cookies = {
      tampered: `consoleme_auth=${header}.${forgedPayload}.${signature}`,
      expired: jwtCookie('alice@example.com', ['engineering'], { expiresInSeconds: -5 }),
      otherKey: jwtCookie('alice@example.com', ['engineering'], {
        secret: 'another-secret-another-secret-0000',
      }),
      algNone: `consoleme_auth=${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`,
      garbage: 'consoleme_auth=not-a-jwt',
    };
    for (const [kind, cookie] of Object.entries(cookies)) {
      const response = await app.inject({
        method: 'GET',
        url: '/api/v2/get_roles?all=true',
        headers: { cookie },
      });
      expect({ kind, status: response.statusCode, code: response.json<{ code: string }>().code }).toEqual({
        kind,
        status: 403,
        code: 'invalid_jwt',
      });
    }
    // Even with trusted headers allowed, a bad cookie is refused rather than ignored.
    const withHeaders = await lenient.inject({
      method: 'GET',
      url: '/api/v1/get_roles',
      headers: { cookie: cookies.expired, ...aliceHeaders },
    });
    expect(withHeaders.json()).toMatchObject({ code: 'invalid_jwt' });
  });

  it('answers 403 invalid_jwt when no identity at all is presented', async () => {
    const response = await getCredentials({ requested_role: 'admin' }, {});
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ code: 'invalid_jwt' });
  });

  it('believes trusted headers on CLI routes only when auth.cliAcceptsTrustedHeaders is on', async () => {
    const strict = await app.inject({ method: 'GET', url: '/api/v1/get_roles', headers: aliceHeaders });
    expect(strict.statusCode).toBe(403);
    expect(strict.json()).toMatchObject({ code: 'invalid_jwt' });
    const allowed = await lenient.inject({ method: 'GET', url: '/api/v1/get_roles', headers: aliceHeaders });
    expect(allowed.statusCode).toBe(200);
    expect(allowed.json()).toContain(ADMIN_ROLE.arn);
  });

  it('lets web routes use the cookie as well as trusted headers', async () => {
    for (const headers of [{ cookie: ALICE }, aliceHeaders]) {
      const response = await app.inject({ method: 'GET', url: '/api/v2/roles', headers });
      expect(response.statusCode).toBe(200);
    }
  });

  it('reads the cookie under the configured name only', async () => {
    const renamed = await buildApp({
      config: parseConfig({
        environment: 'test',
        redis: { keyPrefix: prefix },
        auth: { jwt: { secret: TEST_JWT_SECRET, cookieName: 'rolecall_auth' } },
      }),
      redis,
      nc,
      log: silentLogger(),
    });
    try {
      const named = await renamed.inject({
        method: 'GET',
        url: '/api/v1/get_roles',
        headers: { cookie: jwtCookie('alice@example.com', ['engineering'], { name: 'rolecall_auth' }) },
      });
      expect(named.statusCode).toBe(200);
      const defaultName = await renamed.inject({
        method: 'GET',
        url: '/api/v1/get_roles',
        headers: { cookie: ALICE },
      });
      expect(defaultName.json()).toMatchObject({ code: 'invalid_jwt' });
    } finally {
      await renamed.close();
    }
  });
});

describe('POST /api/v1/get_credentials', () => {
  it('answers Weep credentials with an integer Expiration and the role ARN, and tells the broker who and from where', async () => {
    const response = await getCredentials({
      requested_role: 'admin',
      no_ip_restrictions: true,
      metadata: { weep_method: 'export' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.json()).toEqual({
      Credentials: {
        AccessKeyId: expect.stringMatching(/^ASIAFAKE/) as string,
        SecretAccessKey: 'fake-secret',
        SessionToken: 'fake-token',
        Expiration: 1_900_000_000,
        RoleArn: ADMIN_ROLE.arn,
      },
    });
    const sent = broker.issued.at(-1);
    expect(sent).toMatchObject({
      caller: { user: 'alice@example.com', groups: ['engineering'] },
      requestedRole: 'admin',
      channel: 'cli',
      noIpRestrictions: true,
      context: { sourceIp: '127.0.0.1', userAgent: 'weep/ Go-http-client/1.1' },
    });
    expect(sent?.context.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('issues a cli-only role to the CLI but matches among console roles with console_only', async () => {
    expect((await getCredentials({ requested_role: 'data-export' })).statusCode).toBe(200);
    const consoleOnly = await getCredentials({ requested_role: 'data-export', console_only: true });
    expect(consoleOnly.statusCode).toBe(403);
    expect(consoleOnly.json()).toMatchObject({ code: '900' });
    expect(broker.issued.at(-1)?.channel).toBe('console');
  });

  it("answers ConsoleMe's codes for no match (900), several matches (901) and another user's role (903)", async () => {
    const none = await getCredentials({ requested_role: 'nothing-like-this' });
    expect(none.statusCode).toBe(403);
    expect(none.json()).toEqual({
      code: '900',
      message: expect.any(String) as string,
      requested_role: 'nothing-like-this',
      request_id: expect.any(String) as string,
    });
    const several = await getCredentials({ requested_role: 'deploy' });
    expect(several.statusCode).toBe(403);
    expect(several.json()).toMatchObject({
      code: '901',
      requested_role: 'deploy',
      'matching roles': [PROD_DEPLOY.arn, DEV_DEPLOY.arn],
    });
    const notMine = await getCredentials({ requested_role: OTHERS.arn });
    expect(notMine.statusCode).toBe(403);
    expect(notMine.json()).toMatchObject({ code: '903', requested_role: OTHERS.arn });
  });

  it('answers 902 when the broker fails or is not running', async () => {
    const failed = await getCredentials({ requested_role: FAILING_ROLE });
    expect(failed.statusCode).toBe(403);
    expect(failed.json()).toMatchObject({
      code: '902',
      requested_role: FAILING_ROLE,
      exception: 'UPSTREAM_FAILED',
    });
    // A gateway on a NATS where no broker runs.
    const emptyNats = await startNats();
    const emptyNc = await connectNats({ url: emptyNats.url, name: 'no-broker', log: silentLogger() });
    const orphan = await buildApp({
      config: parseConfig({
        environment: 'test',
        redis: { keyPrefix: prefix },
        auth: { jwt: { secret: TEST_JWT_SECRET } },
      }),
      redis,
      nc: emptyNc,
      log: silentLogger(),
    });
    try {
      const unavailable = await getCredentials({ requested_role: 'admin' }, { cookie: ALICE }, orphan);
      expect(unavailable.statusCode).toBe(403);
      expect(unavailable.json()).toMatchObject({ code: '902', exception: 'UPSTREAM_UNAVAILABLE' });
    } finally {
      await orphan.close();
      await emptyNc.close();
      await emptyNats.stop();
    }
  });

  it('answers 904 for unknown fields, a missing requested_role, user_role/app_name, and JSON that does not parse', async () => {
    const cases: [string, unknown][] = [
      ['unknown field', { requested_role: 'admin', favourite_colour: 'blue' }],
      ['missing role', { no_ip_restrictions: true }],
      ['wrong type', { requested_role: 7 }],
      ['user_role', { user_role: true, account: PROD }],
      ['app_name', { app_name: 'billing' }],
    ];
    for (const [label, payload] of cases) {
      const response = await getCredentials(payload);
      expect({ label, status: response.statusCode, code: response.json<{ code: string }>().code }).toEqual({
        label,
        status: 400,
        code: '904',
      });
    }
    const appName = await getCredentials({ app_name: 'billing' });
    expect(appName.json<{ message: string }>().message).toMatch(/app_name is not supported/);
    const broken = await app.inject({
      method: 'POST',
      url: '/api/v1/get_credentials',
      headers: { 'content-type': 'application/json', cookie: ALICE },
      payload: '{"requested_role":',
    });
    expect(broken.statusCode).toBe(400);
    expect(broken.json()).toMatchObject({ code: '904', request_id: expect.any(String) as string });
  });
});

describe('role listings', () => {
  it('GET /api/v1/get_roles lists console roles without all=true and adds cli-only roles with it', async () => {
    const consoleRoles = await app.inject({
      method: 'GET',
      url: '/api/v1/get_roles',
      headers: { cookie: ALICE },
    });
    expect(consoleRoles.json()).toEqual([ADMIN_ROLE.arn, PROD_DEPLOY.arn, DEV_DEPLOY.arn].sort());
  });

  it('GET /api/v2/get_roles answers a WebResponse with account names, "Unknown" when unnamed', async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/api/v2/get_roles?all=true',
      headers: { cookie: ALICE },
    });
    expect(response.statusCode).toBe(200);
    const body = response.json<{
      status: string;
      status_code: number;
      data: { roles: Record<string, unknown>[] };
    }>();
    expect(body.status).toBe('success');
    expect(body.status_code).toBe(200);
    expect(body.data.roles).toContainEqual({
      arn: DEV_DEPLOY.arn,
      account_id: DEV,
      account_friendly_name: 'Unknown',
      role_name: 'deploy-bot',
      apps: { app_details: [] },
    });
    expect(body.data.roles).toContainEqual(
      expect.objectContaining({ arn: CLI_ONLY.arn, account_friendly_name: 'dev' }),
    );
  });

  it('POST /api/v2/eligible_roles answers the DataTable of console roles sorted by account name', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/v2/eligible_roles',
      headers: aliceHeaders,
      payload: {},
    });
    expect(response.statusCode).toBe(200);
    const body = response.json<{ totalCount: number; data: { arn: string; account_name: string }[] }>();
    expect(body.totalCount).toBe(3);
    expect(body.data.map((r) => r.account_name)).toEqual(['prod', 'prod', 'Unknown']);
    expect(body.data[0]).toEqual({
      arn: ADMIN_ROLE.arn,
      account_name: 'prod',
      account_id: PROD,
      role_name: `[admin](/policies/edit/${PROD}/iamrole/admin)`,
      redirect_uri: `/role/${ADMIN_ROLE.arn}`,
    });
    expect(body.data.map((r) => r.arn)).not.toContain(CLI_ONLY.arn);
  });

  it('GET /api/v2/roles answers {eligible_roles} of console roles', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/v2/roles', headers: aliceHeaders });
    expect(response.json()).toEqual({
      eligible_roles: [ADMIN_ROLE.arn, PROD_DEPLOY.arn, DEV_DEPLOY.arn].sort(),
    });
  });
});

describe('GET /api/v2/get_resource_url', () => {
  const resourceUrl = (arn: string) =>
    app.inject({
      method: 'GET',
      url: `/api/v2/get_resource_url?arn=${encodeURIComponent(arn)}`,
      headers: { cookie: ALICE },
    });

  it('answers the relative UI path of cached roles, buckets, queues, topics and managed policies', async () => {
    const expected: [string, string][] = [
      [`arn:aws:iam::${PROD}:role/service/deploy-bot`, `/policies/edit/${PROD}/iamrole/deploy-bot`],
      ['arn:aws:s3:::prod-logs', `/policies/edit/${PROD}/s3/prod-logs`],
      [`arn:aws:sqs:us-east-1:${PROD}:orders`, `/policies/edit/${PROD}/sqs/us-east-1/orders`],
      [`arn:aws:sns:us-west-2:${DEV}:alerts`, `/policies/edit/${DEV}/sns/us-west-2/alerts`],
      [`arn:aws:iam::${PROD}:policy/team/ReadOnly`, `/policies/edit/${PROD}/managed_policy/team/ReadOnly`],
    ];
    for (const [arn, url] of expected) {
      const response = await resourceUrl(arn);
      expect({ arn, status: response.statusCode, body: response.json<unknown>() }).toEqual({
        arn,
        status: 200,
        body: { status: 'success', status_code: 200, data: { url } },
      });
    }
  });

  it('answers WebResponse errors for an uncached resource and for a string that is not an ARN', async () => {
    const missing = await resourceUrl(`arn:aws:iam::${PROD}:role/ghost`);
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({
      status: 'error',
      status_code: 404,
      reason: 'not_found',
      errors: [expect.stringContaining('not in') as string],
    });
    const bad = await resourceUrl('ghost');
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({
      status: 'error',
      status_code: 400,
      errors: [expect.any(String) as string],
    });
  });
});

describe('GET /api/v1/policies/typeahead for Weep', () => {
  it('answers account and iam_arn searches to a cookie-authenticated CLI', async () => {
    const accounts = await app.inject({
      method: 'GET',
      url: '/api/v1/policies/typeahead?search=pro&resource=account&limit=1000',
      headers: { cookie: ALICE, 'content-type': 'application/json' },
    });
    expect(accounts.statusCode).toBe(200);
    expect(accounts.json()).toEqual([{ title: `prod (${PROD})` }]);
    const roles = await app.inject({
      method: 'GET',
      url: `/api/v1/policies/typeahead?resource=iam_arn&search=${encodeURIComponent(`arn:aws:iam::${PROD}:role/adm`)}&limit=5000`,
      headers: { cookie: ALICE },
    });
    expect(roles.json()).toEqual([{ title: `arn:aws:iam::${PROD}:role/admin` }]);
  });
});

describe('GET /api/v2/role_login/{query}', () => {
  const login = (query: string, headers: Record<string, string> = aliceHeaders, target = app) =>
    target.inject({ method: 'GET', url: `/api/v2/role_login/${query}`, headers });

  it('answers a console_login redirect to the federation URL, with region and destination passed on', async () => {
    const response = await login(
      `${ADMIN_ROLE.arn}?r=eu-west-1&redirect=${encodeURIComponent('https://console.aws.amazon.com/s3')}`,
    );
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      type: 'redirect',
      reason: 'console_login',
      redirect_url: expect.stringContaining('SigninToken=t-admin') as string,
      role: ADMIN_ROLE.arn,
    });
    expect(broker.logins.at(-1)).toMatchObject({
      roleQuery: ADMIN_ROLE.arn,
      region: 'eu-west-1',
      redirect: 'https://console.aws.amazon.com/s3',
      caller: { user: 'alice@example.com' },
    });
  });

  it('answers multiple_roles with a base64 warning, and 404 for no role and for a cli-only role', async () => {
    const several = await login('deploy-bo');
    const body = several.json<{ type: string; reason: string; redirect_url: string }>();
    expect(body).toMatchObject({ type: 'redirect', reason: 'multiple_roles' });
    const url = new URL(body.redirect_url, 'http://x');
    expect(url.pathname).toBe('/');
    expect(url.searchParams.get('arn')).toBe('deploy-bo');
    expect(Buffer.from(url.searchParams.get('warningMessage') ?? '', 'base64').toString()).toContain(
      PROD_DEPLOY.arn,
    );
    for (const query of ['no-such-role', 'data-export']) {
      const response = await login(query);
      expect({ query, status: response.statusCode, type: response.json<{ type: string }>().type }).toEqual({
        query,
        status: 404,
        type: 'error',
      });
    }
  });
});

describe('credential rate limit', () => {
  it('answers 429 RATE_LIMITED with Retry-After once a user is over the limit, counting role_login too, per user', async () => {
    const bob = { 'x-forwarded-email': 'bob@example.com', 'x-forwarded-groups': 'engineering' };
    const statuses: number[] = [];
    for (let i = 0; i < 2; i++)
      statuses.push((await getCredentials({ requested_role: 'admin' }, bob, lenient)).statusCode);
    statuses.push(
      (await lenient.inject({ method: 'GET', url: '/api/v2/role_login/admin', headers: bob })).statusCode,
    );
    expect(statuses.every((s) => s !== 429)).toBe(true);
    const limited = await getCredentials({ requested_role: 'admin' }, bob, lenient);
    expect(limited.statusCode).toBe(429);
    expect(limited.json()).toMatchObject({
      code: 'RATE_LIMITED',
      message: expect.stringContaining('3 per minute') as string,
    });
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    const loginLimited = await lenient.inject({
      method: 'GET',
      url: '/api/v2/role_login/admin',
      headers: bob,
    });
    expect(loginLimited.statusCode).toBe(429);
    // Another user has a count of their own.
    expect((await getCredentials({ requested_role: 'admin' }, aliceHeaders, lenient)).statusCode).toBe(200);
  });
});

describe('audit routes', () => {
  it('GET /api/v2/audit/roles pages through every cached role ARN', async () => {
    const first = await app.inject({
      method: 'GET',
      url: '/api/v2/audit/roles?page=0&count=100',
      headers: { cookie: ALICE },
    });
    const second = await app.inject({
      method: 'GET',
      url: '/api/v2/audit/roles?page=1&count=100',
      headers: { cookie: ALICE },
    });
    const roleArns = demoItems()
      .filter((i) => i.itemType === 'iam_role')
      .map((i) => i.arn)
      .sort();
    const a = first.json<{ data: string[]; total: number; last_page: number; page: number; count: number }>();
    const b = second.json<{ data: string[] }>();
    expect(a).toMatchObject({
      status: 'success',
      status_code: 200,
      page: 0,
      count: 100,
      total: roleArns.length,
      last_page: 1,
    });
    expect([...a.data, ...b.data]).toEqual(roleArns);
  });

  it('GET /api/v2/audit/roles/{account}/{role}/access lists who may use a role, 404 for an unknown one', async () => {
    const known = await app.inject({
      method: 'GET',
      url: `/api/v2/audit/roles/${PROD}/admin/access`,
      headers: { cookie: ALICE },
    });
    expect(known.json()).toEqual({ status: 'success', status_code: 200, data: ['alice@example.com'] });
    const path = await app.inject({
      method: 'GET',
      url: `/api/v2/audit/roles/${PROD}/deploy-bot/access`,
      headers: { cookie: ALICE },
    });
    expect(path.statusCode).toBe(404);
    const unknown = await app.inject({
      method: 'GET',
      url: `/api/v2/audit/roles/${PROD}/ghost/access`,
      headers: { cookie: ALICE },
    });
    expect(unknown.statusCode).toBe(404);
  });

  it('GET /api/v3/audit/credentials is for admins and passes the filters to the broker', async () => {
    const denied = await app.inject({
      method: 'GET',
      url: '/api/v3/audit/credentials',
      headers: aliceHeaders,
    });
    expect(denied.statusCode).toBe(403);
    const admin = { 'x-forwarded-email': 'admin@example.com', 'x-forwarded-groups': 'admins' };
    const response = await app.inject({
      method: 'GET',
      url: '/api/v3/audit/credentials?user=alice@example.com&limit=2',
      headers: admin,
    });
    expect(response.statusCode).toBe(200);
    const body = response.json<{ items: { user: string }[]; nextCursor: string | null }>();
    expect(body.items).toHaveLength(2);
    expect(body.items.every((i) => i.user === 'alice@example.com')).toBe(true);
    expect(body.nextCursor).toBe('more');
  });
});
