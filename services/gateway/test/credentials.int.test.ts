import { randomUUID } from 'node:crypto';
import { IAMClient, paginateListRoles } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { assumeRole, awsClientConfig } from '@rolecall/shared/aws';
import {
  brokerSubjects,
  IssueCredentials,
  type CredentialAuditEvent,
  type IssueCredentialsRequest,
} from '@rolecall/shared/contracts';
import { silentLogger } from '@rolecall/shared/log';
import { connectNats, decode } from '@rolecall/shared/nats';
import { DEMO_USERS, demoBucketNames, freePort, startNats, type DemoAccount } from '@rolecall/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayApp } from '../src/routes/deps.js';
import { TEST_JWT_SECRET, jwtCookie } from './support/cookies.js';
import {
  ALICE_CLI_ONLY_ROLES,
  ALICE_CONSOLE_ROLES,
  roleArn,
  startCredentialStack,
  type CredentialStack,
} from './support/credential-stack.js';

const alice = DEMO_USERS.find((u) => u.email === 'alice@example.com')!;
const ALICE = jwtCookie(alice.email, [...alice.groups]);
const aliceHeaders = { 'x-forwarded-email': alice.email, 'x-forwarded-groups': alice.groups.join(',') };
const adminHeaders = { 'x-forwarded-email': 'admin@example.com', 'x-forwarded-groups': 'admins' };
const WEEP_AGENT = 'weep/ Go-http-client/1.1';

let stack: CredentialStack;
let prod: DemoAccount;
/** Crawled as discovered without a name, so Rolecall shows it as "Unknown". */
let dev: DemoAccount;
/** CLI routes take the JWT cookie only (production default); listens for the broker's console sign-in. */
let app: GatewayApp;
/** CLI routes also believe trusted headers (the demo setting), with a small rate limit. */
let lenient: GatewayApp;

const consoleArns = () =>
  [prod, dev].flatMap((account) => ALICE_CONSOLE_ROLES.map((path) => roleArn(account, path))).sort();
const cliOnlyArns = () =>
  [prod, dev].flatMap((account) => ALICE_CLI_ONLY_ROLES.map((path) => roleArn(account, path))).sort();

beforeAll(async () => {
  stack = await startCredentialStack({
    memberAccountNames: ['prod', 'dev'],
    unnamedAccountNames: ['dev'],
    withResources: true,
    // alice (payments) may lift the IP restriction; bob may not (see the ip-exemption test).
    config: { broker: { ipRestrictionExemptGroups: ['payments'] } },
  });
  prod = stack.account('prod');
  dev = stack.account('dev');
  const gatewayConfig = { auth: { jwt: { secret: TEST_JWT_SECRET } } };
  app = await stack.buildGateway(gatewayConfig);
  lenient = await stack.buildGateway({
    ...gatewayConfig,
    // The stack's Redis keys: the broker charges get_credentials on the counter role_login's hook uses.
    auth: { ...gatewayConfig.auth, cliAcceptsTrustedHeaders: true },
    gateway: { rateLimit: { credentialsPerMinute: 3 } },
  });
  await app.listen({ port: stack.gatewayPort, host: '127.0.0.1' });
  await lenient.ready();
});

afterAll(async () => {
  await Promise.all([app?.close(), lenient?.close()]);
  await stack?.stop();
});

const getCredentials = (
  payload: unknown,
  headers: Record<string, string> = { cookie: ALICE },
  target = app,
) =>
  target.inject({
    method: 'POST',
    url: '/api/v1/get_credentials',
    headers: { 'content-type': 'application/json', 'user-agent': WEEP_AGENT, ...headers },
    payload: JSON.stringify(payload) + '\n',
  });

/** Who credentials act as, asked of STS (moto) as any AWS SDK using them would. */
async function whoAmI(credentials: { AccessKeyId: string; SecretAccessKey: string; SessionToken: string }) {
  const sts = new STSClient(
    awsClientConfig('sts', {
      ...stack.aws,
      credentials: {
        accessKeyId: credentials.AccessKeyId,
        secretAccessKey: credentials.SecretAccessKey,
        sessionToken: credentials.SessionToken,
      },
    }),
  );
  try {
    return await sts.send(new GetCallerIdentityCommand({}));
  } finally {
    sts.destroy();
  }
}

/** The broker's audit trail, as an admin reads it through the gateway. */
async function auditOf(user: string, limit = 500): Promise<CredentialAuditEvent[]> {
  const response = await app.inject({
    method: 'GET',
    url: `/api/v3/audit/credentials?user=${encodeURIComponent(user)}&limit=${limit}`,
    headers: adminHeaders,
  });
  expect(response.statusCode).toBe(200);
  return response.json<{ items: CredentialAuditEvent[] }>().items;
}

/**
 * The settled audit event matching `match`, once the broker has stored it. The trail is written
 * asynchronously, and an issuance is first recorded as a `pending` intent before STS is called.
 */
async function auditEvent(user: string, match: (e: CredentialAuditEvent) => boolean) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const found = (await auditOf(user)).find((e) => e.outcome !== 'pending' && match(e));
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no audit event of ${user} matches`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('JWT cookie on CLI routes', () => {
  it('accepts a valid cookie and answers the roles the tags grant the cookie identity', async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/api/v1/get_roles?all=true',
      headers: { cookie: ALICE },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual([...consoleArns(), ...cliOnlyArns()].sort());
    // The identity is the cookie's: bob's cookie gets bob's roles.
    const bob = await app.inject({
      method: 'GET',
      url: '/api/v1/get_roles?all=true',
      headers: { cookie: jwtCookie('bob@example.com', ['data', 'readonly']) },
    });
    expect(bob.json()).toContain(roleArn(prod, 'bob-sandbox'));
    expect(bob.json()).not.toContain(roleArn(prod, 'support'));
  });

  it('answers invalid_jwt for a tampered, expired, wrongly signed or garbage cookie', async () => {
    const [header, payload, signature] = (ALICE.split('=')[1] ?? '').split('.');
    const forgedPayload = Buffer.from(
      JSON.stringify({ email: 'admin@example.com', groups: ['admins'], iat: 1, exp: 4_000_000_000 }),
    ).toString('base64url');
    const cookies = {
      tampered: `consoleme_auth=${header}.${forgedPayload}.${signature}`,
      expired: jwtCookie(alice.email, [...alice.groups], { expiresInSeconds: -5 }),
      otherKey: jwtCookie(alice.email, [...alice.groups], {
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
    const response = await getCredentials({ requested_role: 'app-prod' }, {});
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ code: 'invalid_jwt' });
  });

  it('believes trusted headers on CLI routes only when auth.cliAcceptsTrustedHeaders is on', async () => {
    const strict = await app.inject({ method: 'GET', url: '/api/v1/get_roles', headers: aliceHeaders });
    expect(strict.statusCode).toBe(403);
    expect(strict.json()).toMatchObject({ code: 'invalid_jwt' });
    const allowed = await lenient.inject({ method: 'GET', url: '/api/v1/get_roles', headers: aliceHeaders });
    expect(allowed.statusCode).toBe(200);
    expect(allowed.json()).toEqual(consoleArns());
  });

  it('lets web routes use the cookie as well as trusted headers', async () => {
    for (const headers of [{ cookie: ALICE }, aliceHeaders]) {
      const response = await app.inject({ method: 'GET', url: '/api/v2/roles', headers });
      expect(response.statusCode).toBe(200);
    }
  });

  it('reads the cookie under the configured name only', async () => {
    const renamed = await stack.buildGateway({
      auth: { jwt: { secret: TEST_JWT_SECRET, cookieName: 'rolecall_auth' } },
    });
    try {
      const named = await renamed.inject({
        method: 'GET',
        url: '/api/v1/get_roles',
        headers: { cookie: jwtCookie(alice.email, [...alice.groups], { name: 'rolecall_auth' }) },
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
  it('issues STS credentials of the role, named for the user, and the broker records who and from where', async () => {
    // A plain subscriber gets a copy of each request on its way to the broker (which alone replies).
    const sent: IssueCredentialsRequest[] = [];
    const listener = stack.nc.subscribe(brokerSubjects.issueCredentials, {
      callback: (_error, msg) => {
        sent.push(IssueCredentials.unwrap(decode(msg.data)).data);
      },
    });
    await stack.nc.flush();
    const response = await getCredentials({
      requested_role: 'app-prod',
      no_ip_restrictions: true,
      metadata: { weep_method: 'export' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const { Credentials: credentials } = response.json<{
      Credentials: {
        AccessKeyId: string;
        SecretAccessKey: string;
        SessionToken: string;
        Expiration: number;
        RoleArn: string;
      };
    }>();
    expect(credentials).toEqual({
      AccessKeyId: expect.any(String) as string,
      SecretAccessKey: expect.any(String) as string,
      SessionToken: expect.any(String) as string,
      Expiration: expect.any(Number) as number,
      RoleArn: roleArn(prod, 'app/app-prod'),
    });
    expect(Number.isInteger(credentials.Expiration)).toBe(true);
    expect(credentials.Expiration).toBeGreaterThan(Date.now() / 1000);

    const identity = await whoAmI(credentials);
    expect(identity.Account).toBe(prod.id);
    expect(identity.Arn).toBe(`arn:aws:sts::${prod.id}:assumed-role/app-prod/${alice.email}`);

    const event = await auditEvent(alice.email, (e) => e.accessKeyId === credentials.AccessKeyId);
    expect(event).toMatchObject({
      user: alice.email,
      groups: [...alice.groups],
      channel: 'cli',
      requestedRole: 'app-prod',
      roleArn: credentials.RoleArn,
      outcome: 'issued',
      sourceIp: '127.0.0.1',
      userAgent: WEEP_AGENT,
    });
    expect(event.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.stringify(event)).not.toContain(credentials.SecretAccessKey);
    listener.unsubscribe();
    expect(sent).toEqual([
      expect.objectContaining({
        caller: { user: alice.email, groups: [...alice.groups] },
        requestedRole: 'app-prod',
        channel: 'cli',
        noIpRestrictions: true,
        context: expect.objectContaining({ requestId: event.requestId, sourceIp: '127.0.0.1' }) as unknown,
      }),
    ]);
  });

  it('issues a cli-only role to the CLI but refuses it when matching among console roles (console_only)', async () => {
    const workerArn = roleArn(prod, 'service/payments-worker');
    const cli = await getCredentials({ requested_role: workerArn });
    expect(cli.statusCode).toBe(200);
    expect((await whoAmI(cli.json<{ Credentials: never }>().Credentials)).Arn).toBe(
      `arn:aws:sts::${prod.id}:assumed-role/payments-worker/${alice.email}`,
    );
    const consoleOnly = await getCredentials({ requested_role: 'payments-worker', console_only: true });
    expect(consoleOnly.statusCode).toBe(403);
    const body = consoleOnly.json<{ code: string; request_id: string }>();
    expect(body).toMatchObject({ code: '900' });
    const event = await auditEvent(alice.email, (e) => e.requestId === body.request_id);
    expect(event).toMatchObject({ channel: 'console', outcome: 'refused', requestedRole: 'payments-worker' });
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
    // Every demo account has a role named support.
    const several = await getCredentials({ requested_role: 'support' });
    expect(several.statusCode).toBe(403);
    const severalBody = several.json<{ code: string; 'matching roles': string[] }>();
    expect(severalBody).toMatchObject({ code: '901', requested_role: 'support' });
    expect([...severalBody['matching roles']].sort()).toEqual(
      [roleArn(prod, 'support'), roleArn(dev, 'support')].sort(),
    );
    // admin is tagged for the admins group only.
    const notMine = await getCredentials({ requested_role: roleArn(prod, 'admin') });
    expect(notMine.statusCode).toBe(403);
    expect(notMine.json()).toMatchObject({ code: '903', requested_role: roleArn(prod, 'admin') });
  });

  it('answers 904 for unknown fields, a missing requested_role, user_role/app_name, and JSON that does not parse', async () => {
    const cases: [string, unknown][] = [
      ['unknown field', { requested_role: 'app-prod', favourite_colour: 'blue' }],
      ['missing role', { no_ip_restrictions: true }],
      ['wrong type', { requested_role: 7 }],
      ['user_role', { user_role: true, account: prod.id }],
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

describe('when the broker fails', () => {
  it('answers 902 UPSTREAM_FAILED when STS cannot be reached, and the broker records the failure', async () => {
    // Nothing listens on this port: the broker's STS calls fail as when AWS is unreachable.
    await stack.restartBroker({ stsEndpointUrl: `http://127.0.0.1:${await freePort()}` });
    try {
      const failed = await getCredentials({ requested_role: 'app-prod' });
      expect(failed.statusCode).toBe(403);
      const body = failed.json<{ code: string; request_id: string }>();
      expect(body).toMatchObject({ code: '902', requested_role: 'app-prod', exception: 'UPSTREAM_FAILED' });
      const event = await auditEvent(alice.email, (e) => e.requestId === body.request_id);
      expect(event).toMatchObject({ outcome: 'failed', requestedRole: 'app-prod' });
    } finally {
      await stack.restartBroker();
    }
    expect((await getCredentials({ requested_role: 'app-prod' })).statusCode).toBe(200);
  });

  it('answers 503 BROKER_UNAVAILABLE at once, on every broker route, while no broker runs', async () => {
    await stack.stopBroker();
    try {
      const unavailable = await getCredentials({ requested_role: 'app-prod' });
      expect(unavailable.statusCode).toBe(503);
      expect(unavailable.json()).toMatchObject({
        code: 'BROKER_UNAVAILABLE',
        request_id: expect.any(String) as string,
      });
      for (const url of ['/api/v2/roles', '/api/v2/role_login/app-prod']) {
        const response = await app.inject({ method: 'GET', url, headers: aliceHeaders });
        expect({ url, status: response.statusCode }).toEqual({ url, status: 503 });
        expect(response.headers['content-type']).toContain('application/json');
        expect(JSON.stringify(response.json())).toContain('BROKER_UNAVAILABLE');
      }
    } finally {
      await stack.restartBroker();
    }
    // A gateway on a NATS where no broker was ever running says the same.
    const emptyNats = await startNats();
    const emptyNc = await connectNats({ url: emptyNats.url, name: 'no-broker', log: silentLogger() });
    const orphan = await stack.buildGateway({ auth: { jwt: { secret: TEST_JWT_SECRET } } }, { nc: emptyNc });
    try {
      const unavailable = await getCredentials({ requested_role: 'app-prod' }, { cookie: ALICE }, orphan);
      expect(unavailable.statusCode).toBe(503);
      expect(unavailable.json()).toMatchObject({ code: 'BROKER_UNAVAILABLE' });
    } finally {
      await orphan.close();
      await emptyNc.close();
      await emptyNats.stop();
    }
  });
});

describe('role listings', () => {
  it('GET /api/v1/get_roles lists console roles without all=true and adds cli-only roles with it', async () => {
    const consoleRoles = await app.inject({
      method: 'GET',
      url: '/api/v1/get_roles',
      headers: { cookie: ALICE },
    });
    expect(consoleRoles.json()).toEqual(consoleArns());
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
    expect(body.data.roles).toHaveLength(consoleArns().length + cliOnlyArns().length);
    expect(body.data.roles).toContainEqual({
      arn: roleArn(dev, 'app/app-dev'),
      account_id: dev.id,
      account_friendly_name: 'Unknown',
      role_name: 'app-dev',
      apps: { app_details: [] },
    });
    expect(body.data.roles).toContainEqual(
      expect.objectContaining({
        arn: roleArn(prod, 'service/payments-worker'),
        account_friendly_name: 'prod',
        role_name: 'payments-worker',
      }),
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
    const perAccount = ALICE_CONSOLE_ROLES.length;
    expect(body.totalCount).toBe(2 * perAccount);
    expect(body.data.map((r) => r.account_name)).toEqual([
      ...Array<string>(perAccount).fill('prod'),
      ...Array<string>(perAccount).fill('Unknown'),
    ]);
    expect(body.data[0]).toEqual({
      arn: roleArn(prod, 'app/app-prod'),
      account_name: 'prod',
      account_id: prod.id,
      role_name: `[app-prod](/policies/edit/${prod.id}/iamrole/app-prod)`,
      redirect_uri: `/role/${roleArn(prod, 'app/app-prod')}`,
    });
    expect(body.data.map((r) => r.arn)).not.toContain(roleArn(prod, 'service/payments-worker'));
  });

  it('GET /api/v2/roles answers {eligible_roles} of console roles', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/v2/roles', headers: aliceHeaders });
    expect(response.json()).toEqual({ eligible_roles: consoleArns() });
  });
});

describe('GET /api/v2/get_resource_url', () => {
  const resourceUrl = (arn: string) =>
    app.inject({
      method: 'GET',
      url: `/api/v2/get_resource_url?arn=${encodeURIComponent(arn)}`,
      headers: { cookie: ALICE },
    });

  it('answers the relative UI path of crawled roles, buckets, queues, topics and managed policies', async () => {
    const logs = demoBucketNames(prod.id).logs;
    const expected: [string, string][] = [
      [roleArn(prod, 'service/payments-api'), `/policies/edit/${prod.id}/iamrole/payments-api`],
      [`arn:aws:s3:::${logs}`, `/policies/edit/${prod.id}/s3/${logs}`],
      [`arn:aws:sqs:us-east-1:${prod.id}:orders`, `/policies/edit/${prod.id}/sqs/us-east-1/orders`],
      [`arn:aws:sns:us-west-2:${dev.id}:alerts`, `/policies/edit/${dev.id}/sns/us-west-2/alerts`],
      [
        `arn:aws:iam::${prod.id}:policy/data/DataLakeRead`,
        `/policies/edit/${prod.id}/managed_policy/data/DataLakeRead`,
      ],
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
    const missing = await resourceUrl(roleArn(prod, 'ghost'));
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
    expect(accounts.json()).toEqual([{ title: `prod (${prod.id})` }]);
    const roles = await app.inject({
      method: 'GET',
      url: `/api/v1/policies/typeahead?resource=iam_arn&search=${encodeURIComponent(`arn:aws:iam::${prod.id}:role/adm`)}&limit=5000`,
      headers: { cookie: ALICE },
    });
    expect(roles.json()).toEqual([{ title: roleArn(prod, 'admin') }]);
  });
});

describe('GET /api/v2/role_login/{query}', () => {
  const login = (query: string, headers: Record<string, string> = aliceHeaders, target = app) =>
    target.inject({ method: 'GET', url: `/api/v2/role_login/${query}`, headers });

  it('answers a console_login redirect through the federation endpoint, signed in as the role, with region and destination passed on', async () => {
    const supportArn = roleArn(prod, 'support');
    const response = await login(
      `${supportArn}?r=eu-west-1&redirect=${encodeURIComponent('https://console.aws.amazon.com/s3')}`,
    );
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      type: 'redirect',
      reason: 'console_login',
      redirect_url: expect.any(String) as string,
      role: supportArn,
    });
    const url = new URL(response.json<{ redirect_url: string }>().redirect_url);
    expect(`${url.origin}${url.pathname}`).toBe(`${stack.gatewayUrl}/demo/federation`);
    expect(url.searchParams.get('Action')).toBe('login');
    expect(url.searchParams.get('Destination')).toBe('https://console.aws.amazon.com/s3');
    // The sign-in token names the session the broker obtained from STS for alice.
    const landed = await app.inject({ method: 'GET', url: `${url.pathname}${url.search}` });
    expect(landed.statusCode).toBe(200);
    expect(landed.body).toContain(`assumed-role/support/${alice.email}`);
    expect(landed.body).toContain(prod.id);

    const regional = await login('app-prod?r=eu-west-1');
    const regionalUrl = new URL(regional.json<{ redirect_url: string }>().redirect_url);
    expect(regionalUrl.searchParams.get('Destination')).toBe('https://eu-west-1.console.aws.amazon.com/');
  });

  it('answers multiple_roles with a base64 warning, and 404 for no role and for a cli-only role', async () => {
    const several = await login('suppor');
    const body = several.json<{ type: string; reason: string; redirect_url: string }>();
    expect(body).toMatchObject({ type: 'redirect', reason: 'multiple_roles' });
    const url = new URL(body.redirect_url, 'http://x');
    expect(url.pathname).toBe('/');
    expect(url.searchParams.get('arn')).toBe('suppor');
    const warning = Buffer.from(url.searchParams.get('warningMessage') ?? '', 'base64').toString();
    expect(warning).toContain(roleArn(prod, 'support'));
    expect(warning).toContain(roleArn(dev, 'support'));
    for (const query of ['no-such-role', encodeURIComponent(roleArn(prod, 'service/payments-worker'))]) {
      const response = await login(query);
      expect({ query, status: response.statusCode, type: response.json<{ type: string }>().type }).toEqual({
        query,
        status: 404,
        type: 'error',
      });
    }
  });
});

describe('console sign-in input', () => {
  it.each([
    ['a malformed region', '/api/v2/role_login/app-prod?r=BAD', 'VALIDATION_FAILED'],
    ['a query over 2,048 characters', `/api/v2/role_login/${'a'.repeat(2049)}`, 'VALIDATION_FAILED'],
    [
      'a redirect over 4,096 characters',
      `/api/v2/role_login/app-prod?redirect=${encodeURIComponent(`https://console.aws.amazon.com/${'x'.repeat(4100)}`)}`,
      'VALIDATION_FAILED',
    ],
    [
      'a redirect to another site',
      `/api/v2/role_login/app-prod?redirect=${encodeURIComponent('https://evil.example.com/')}`,
      'VALIDATION_FAILED',
    ],
    [
      'a redirect over plain http',
      `/api/v2/role_login/app-prod?redirect=${encodeURIComponent('http://console.aws.amazon.com/')}`,
      'VALIDATION_FAILED',
    ],
  ])('answers 400 in the role-login shape for %s', async (_name, url, code) => {
    const response = await app.inject({ method: 'GET', url, headers: aliceHeaders });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      type: 'error',
      error: code,
      message: expect.any(String) as string,
    });
  });

  it('lands on an AWS console redirect', async () => {
    const target = 'https://us-west-2.console.aws.amazon.com/cloudformation/home';
    const response = await app.inject({
      method: 'GET',
      url: `/api/v2/role_login/app-prod?redirect=${encodeURIComponent(target)}`,
      headers: aliceHeaders,
    });
    expect(response.statusCode).toBe(200);
    const signin = new URL(response.json<{ redirect_url: string }>().redirect_url);
    expect(signin.searchParams.get('Destination')).toBe(target);
  });
});

describe('IP restriction exemptions', () => {
  it('refuses no_ip_restrictions and custom_ip_restrictions to a user outside broker.ipRestrictionExemptGroups, and audits the refusal', async () => {
    const bob = { cookie: jwtCookie('bob@example.com', ['data', 'readonly']) };
    for (const asked of [{ no_ip_restrictions: true }, { custom_ip_restrictions: ['0.0.0.0/0'] }]) {
      const refused = await getCredentials({ requested_role: roleArn(prod, 'bob-sandbox'), ...asked }, bob);
      expect(refused.statusCode).toBe(403);
      const body = refused.json<{ code: string; request_id: string }>();
      expect(body.code).toBe('FORBIDDEN');
      const event = await auditEvent('bob@example.com', (e) => e.requestId === body.request_id);
      expect(event).toMatchObject({ outcome: 'refused', reason: 'ip_exemption_not_allowed' });
    }
    const plain = await getCredentials(
      { requested_role: roleArn(prod, 'bob-sandbox'), no_ip_restrictions: false },
      bob,
    );
    expect(plain.statusCode).toBe(200);
  });
});

describe('credential rate limit', () => {
  it('answers 429 RATE_LIMITED with Retry-After once a user is over the limit, counting role_login too, per user', async () => {
    // Users of their own, so no other test's requests count in their window; bob's groups grant readonly.
    const as = (name: string) => ({
      'x-forwarded-email': `${name}-${randomUUID()}@example.com`,
      'x-forwarded-groups': 'data,readonly',
    });
    const limitedUser = as('limited');
    const readonly = { requested_role: roleArn(prod, 'readonly') };
    const statuses: number[] = [];
    for (let i = 0; i < 2; i++)
      statuses.push((await getCredentials(readonly, limitedUser, lenient)).statusCode);
    statuses.push(
      (await lenient.inject({ method: 'GET', url: '/api/v2/role_login/readonly', headers: limitedUser }))
        .statusCode,
    );
    expect(statuses.every((s) => s !== 429)).toBe(true);
    const limited = await getCredentials(readonly, limitedUser, lenient);
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
      url: '/api/v2/role_login/readonly',
      headers: limitedUser,
    });
    expect(loginLimited.statusCode).toBe(429);
    // Another user has a count of their own.
    expect((await getCredentials(readonly, as('other'), lenient)).statusCode).toBe(200);
  });
});

/** Every role ARN in the accounts, listed by IAM in moto (what the crawl should have cached). */
async function rolesInMoto(accounts: DemoAccount[]): Promise<string[]> {
  const sts = new STSClient(awsClientConfig('sts', stack.aws));
  const arns: string[] = [];
  for (const account of accounts) {
    const credentials = await assumeRole(sts, {
      roleArn: `arn:aws:iam::${account.id}:role/OrganizationAccountAccessRole`,
      sessionName: 'gateway-test',
    });
    const iam = new IAMClient(awsClientConfig('iam', { ...stack.aws, credentials }));
    for await (const page of paginateListRoles({ client: iam }, {})) {
      for (const role of page.Roles ?? []) if (role.Arn) arns.push(role.Arn);
    }
    iam.destroy();
  }
  sts.destroy();
  return arns.sort();
}

describe('audit routes', () => {
  it('GET /api/v2/audit/roles pages through every crawled role ARN', async () => {
    const roleArns = await rolesInMoto([prod, dev]);
    const count = 20;
    const first = await app.inject({
      method: 'GET',
      url: `/api/v2/audit/roles?page=0&count=${count}`,
      headers: { cookie: ALICE },
    });
    const a = first.json<{ data: string[]; total: number; last_page: number; page: number; count: number }>();
    expect(a).toMatchObject({
      status: 'success',
      status_code: 200,
      page: 0,
      count,
      total: roleArns.length,
      last_page: Math.ceil(roleArns.length / count) - 1,
    });
    expect(a.last_page).toBeGreaterThanOrEqual(1);
    const all = [...a.data];
    for (let page = 1; page <= a.last_page; page += 1) {
      const next = await app.inject({
        method: 'GET',
        url: `/api/v2/audit/roles?page=${page}&count=${count}`,
        headers: { cookie: ALICE },
      });
      all.push(...next.json<{ data: string[] }>().data);
    }
    expect(all).toEqual(roleArns);
  });

  it('GET /api/v2/audit/roles/{account}/{role}/access lists who may use a role, none for an untagged one, 404 for an unknown one', async () => {
    const access = (roleName: string) =>
      app.inject({
        method: 'GET',
        url: `/api/v2/audit/roles/${prod.id}/${roleName}/access`,
        headers: { cookie: ALICE },
      });
    expect((await access('admin')).json()).toEqual({ status: 'success', status_code: 200, data: ['admins'] });
    // A role under a path is found by its name; both tags count.
    expect((await access('payments-api')).json()).toEqual({
      status: 'success',
      status_code: 200,
      data: [alice.email, 'payments'],
    });
    // A crawled role without grant tags is known, and nobody may use it.
    expect((await access('RolecallSpoke')).json()).toEqual({ status: 'success', status_code: 200, data: [] });
    const unknown = await access('ghost');
    expect(unknown.statusCode).toBe(404);
  });

  it('GET /api/v3/audit/credentials is for admins, filters by user and pages with a cursor', async () => {
    const denied = await app.inject({
      method: 'GET',
      url: '/api/v3/audit/credentials',
      headers: aliceHeaders,
    });
    expect(denied.statusCode).toBe(403);
    const page = (cursor?: string) =>
      app.inject({
        method: 'GET',
        url: `/api/v3/audit/credentials?user=${encodeURIComponent(alice.email)}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        headers: adminHeaders,
      });
    const response = await page();
    expect(response.statusCode).toBe(200);
    const body = response.json<{ items: CredentialAuditEvent[]; nextCursor: string | null }>();
    expect(body.items).toHaveLength(2);
    expect(body.items.every((i) => i.user === alice.email)).toBe(true);
    expect(body.nextCursor).toEqual(expect.any(String) as string);
    const next = (await page(body.nextCursor ?? undefined)).json<{ items: CredentialAuditEvent[] }>();
    expect(next.items.length).toBeGreaterThan(0);
    expect(next.items.every((i) => i.user === alice.email)).toBe(true);
    expect(next.items.map((i) => i.id)).not.toContain(body.items[0]?.id);
    // Bob's events are his own.
    expect((await auditOf('bob@example.com')).every((i) => i.user === 'bob@example.com')).toBe(true);
  });
});
