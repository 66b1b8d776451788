import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoOrganization, type DemoAccount } from '@rolecall/testing';
import { refresh, waitForCrawl } from './support/crawls.js';
import { call, signSession, unsignedSession, type CallResult } from './support/http-call.js';
import { readState } from './support/state-digest.js';
import { startStack, type Stack } from './support/stack.js';
import { inlinePolicyRequest } from './support/policy-requests.js';

/**
 * The security suite: it reads the gateway's own OpenAPI document and calls EVERY route in it with
 * each kind of bad identity, so a route added later is walked by construction. Each call must be
 * refused with the right status and code, and the stores must read the same before and after.
 */

const SECRET = `suite-${randomBytes(24).toString('hex')}`;
const ADMIN = { email: 'admin@example.com', groups: ['admins', 'engineering'] };
const ALICE = { email: 'alice@example.com', groups: ['engineering', 'payments'] };
const BOB = { email: 'bob@example.com', groups: ['data'] };

/**
 * Routes anyone may call, each with why. Every other route in the document must refuse every case.
 * (The static UI, the challenge page and its script are hidden from the document: pages, not API.)
 */
const PUBLIC_ROUTES: Record<string, string> = {
  'GET /healthcheck': 'liveness probe: says nothing but "up"',
  'GET /readyz': 'readiness probe for the load balancer: names dependencies, no data',
  'GET /api/v3/session': 'tells a signed-out browser how to sign in (answers signedIn: false)',
  'POST /api/v3/session/demo': 'the demo sign-in itself (off in production; rate-limited per address)',
  'POST /api/v3/session/sign-out': 'clears the caller’s own cookie; CSRF-checked when a cookie is sent',
  'GET /noauth/v1/challenge_generator/{user}':
    'Weep starts a login before it has any identity (rate-limited)',
  'GET /noauth/v1/challenge_poller/{token}': 'Weep polls its own unguessable challenge token',
  'GET /auth/oidc/login': 'starts an OpenID Connect sign-in: the way in for someone with no identity yet',
  'GET /auth/oidc/callback':
    'the provider returns here; checks state, nonce and PKCE of the sign-in it started',
  'POST /auth/oidc/refresh':
    'renews the caller’s own OIDC session from its sealed refresh cookie; CSRF-checked',
  'POST /auth/logout': 'clears the caller’s own cookies; CSRF-checked when a cookie is sent',
  'GET /demo/federation': 'the demo AWS console stand-in (only registered when demo.federationStandIn)',
};

/**
 * CLI routes take Weep's JWT cookie and answer ConsoleMe's `invalid_jwt` (403) to a missing or bad
 * one. They are exempt from CSRF (see services/gateway/src/plugins/csrf.ts: Weep cannot send a token).
 */
const CLI_ROUTES = new Set([
  'POST /api/v1/get_credentials',
  'GET /api/v1/get_roles',
  'GET /api/v2/get_roles',
  'GET /api/v2/get_resource_url',
  'GET /api/v1/policies/typeahead',
  'GET /api/v2/audit/roles',
  'GET /api/v2/audit/roles/{accountId}/{roleName}/access',
]);

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

interface Route {
  key: string;
  method: string;
  path: string;
}

let stack: Stack;
let account: DemoAccount;
let requestId: string;
let challengeToken: string;
let routes: Route[];

const url = (path: string) => `${stack.gatewayUrl}${path}`;

/** A concrete URL for a documented path: real ids where the route is user-scoped, placeholders elsewhere. */
function concrete(path: string): string {
  const values: Record<string, string> = {
    id: requestId,
    token: challengeToken,
    accountId: account.id,
    roleName: 'support',
    user: ALICE.email,
  };
  return path.replace(/\{([^}]+)\}/g, (_m, name: string) => encodeURIComponent(values[name] ?? 'x'));
}

/** What a route answers a caller it does not know: 403 invalid_jwt on CLI routes, 401 elsewhere. */
const expectedRefusal = (route: Route) =>
  CLI_ROUTES.has(route.key) ? { status: 403, code: 'invalid_jwt' } : { status: 401, code: 'UNAUTHENTICATED' };

const outcome = (result: CallResult) => ({ status: result.status, code: result.code?.toString() });

beforeAll(async () => {
  stack = await startStack({
    config: { auth: { jwt: { secret: SECRET } }, demo: { users: [ALICE, BOB] } },
    services: ['cache', 'crawler', 'broker', 'requests', 'gateway'],
  });
  const org = await seedDemoOrganization({ endpointUrl: stack.env.moto.url, region: 'us-east-1' });
  account = org.accounts.find((a) => a.id !== org.managementAccountId)!;
  const requestedAt = new Date().toISOString();
  await waitForCrawl(stack, await refresh(stack), requestedAt);
  // Alice's request and alice's Weep challenge: the user-scoped things another user must not touch.
  const created = await stack.api('/api/v2/request', {
    method: 'POST',
    user: ALICE.email,
    groups: ALICE.groups,
    body: inlinePolicyRequest({
      roleArn: `arn:aws:iam::${account.id}:role/support`,
      policyName: 'suite-read',
      justification: 'security suite',
      bucket: 'suite',
    }),
  });
  const createdBody = (await created.json()) as { request_id?: string };
  expect(created.status, JSON.stringify(createdBody)).toBe(200);
  requestId = createdBody.request_id ?? '';
  const generated = await call(url(`/noauth/v1/challenge_generator/${ALICE.email}`));
  challengeToken =
    (JSON.parse(generated.body) as { challenge_url: string }).challenge_url.split('/').pop() ?? '';

  const document = JSON.parse((await call(url('/docs/json'))).body) as {
    paths: Record<string, Record<string, unknown>>;
  };
  routes = Object.entries(document.paths).flatMap(([path, operations]) =>
    Object.keys(operations)
      .filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
      .map((m) => ({ key: `${m.toUpperCase()} ${path}`, method: m.toUpperCase(), path })),
  );
}, 300_000);

afterAll(async () => {
  await stack?.stop();
});

describe('the security suite, over every route of the OpenAPI document', () => {
  it('reads a document with the routes this suite must cover, and lists every public one with a reason', () => {
    expect(routes.length).toBeGreaterThan(30);
    const keys = new Set(routes.map((r) => r.key));
    for (const key of [
      ...CLI_ROUTES,
      'PUT /api/v2/requests/{id}',
      'POST /api/v2/challenge_validator/{token}',
    ]) {
      expect(keys, key).toContain(key);
    }
    // An exemption for a route that no longer exists is a stale reason: drop it.
    for (const key of Object.keys(PUBLIC_ROUTES).filter((k) => k !== 'GET /demo/federation')) {
      expect(keys, key).toContain(key);
    }
  });

  it('refuses every call without identity, with a forged, expired, unknown-key or alg:none cookie, from an untrusted address with identity headers, and changes nothing', async () => {
    const now = Math.floor(Date.now() / 1000);
    const valid = await signSession(SECRET, ALICE);
    const [header, , signature] = valid.split('.');
    const adminPayload = Buffer.from(JSON.stringify({ ...ADMIN, iat: now, exp: now + 3600 })).toString(
      'base64url',
    );
    const cases: Record<string, { headers?: Record<string, string>; localAddress?: string }> = {
      'no identity': {},
      // alice's signature over a payload that says admin: the signature no longer fits.
      'forged cookie': { headers: { cookie: `consoleme_auth=${header}.${adminPayload}.${signature}` } },
      'expired cookie': {
        headers: {
          cookie: `consoleme_auth=${await signSession(SECRET, ADMIN, { iat: now - 7200, exp: now - 3600 })}`,
        },
      },
      // Stands for a key rotated out: a valid token under a key this gateway no longer has.
      'unknown key': { headers: { cookie: `consoleme_auth=${await signSession(`old-${SECRET}`, ADMIN)}` } },
      'alg none': { headers: { cookie: `consoleme_auth=${unsignedSession(ADMIN)}` } },
      // gateway.trustedProxies is the default (127.0.0.1, ::1): 127.0.0.2 is loopback but not a proxy.
      'identity headers from 127.0.0.2': {
        headers: { 'x-forwarded-email': ADMIN.email, 'x-forwarded-groups': ADMIN.groups.join(',') },
        localAddress: '127.0.0.2',
      },
    };
    const before = await readState(stack);
    const wrong: string[] = [];
    for (const route of routes.filter((r) => !(r.key in PUBLIC_ROUTES))) {
      for (const [name, request] of Object.entries(cases)) {
        const answer = await call(url(concrete(route.path)), { method: route.method, ...request });
        const expected = expectedRefusal(route);
        const got = outcome(answer);
        if (got.status !== expected.status || got.code !== expected.code) {
          wrong.push(`${route.key} (${name}): ${got.status} ${got.code ?? answer.body.slice(0, 200)}`);
        }
      }
    }
    expect(wrong).toEqual([]);
    expect(await readState(stack)).toEqual(before);
  });

  it('refuses every state-changing call made with a valid session cookie but no CSRF token, and changes nothing', async () => {
    const cookie = `consoleme_auth=${await signSession(SECRET, ADMIN)}`;
    const stateChanging = routes.filter((r) => !SAFE.has(r.method) && !CLI_ROUTES.has(r.key));
    expect(stateChanging.length).toBeGreaterThan(10);
    const before = await readState(stack);
    const wrong: string[] = [];
    for (const route of stateChanging) {
      const answer = await call(url(concrete(route.path)), { method: route.method, headers: { cookie } });
      if (answer.status !== 403 || answer.code !== 'CSRF_TOKEN_INVALID') {
        wrong.push(`${route.key}: ${answer.status} ${answer.code ?? answer.body.slice(0, 200)}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(await readState(stack)).toEqual(before);
  });

  it('refuses another user on what is alice’s: her request and her Weep challenge, and changes nothing', async () => {
    const bob = { 'x-forwarded-email': BOB.email, 'x-forwarded-groups': BOB.groups.join(',') };
    // A refused challenge approval is still counted against the address's sign-ins: that counter is
    // what bounds guessing a nonce, so it is the one key a refusal here is meant to write.
    const ignore = { ignoreRedisKeys: /:ratelimit:sign-ins:/ };
    const before = await readState(stack, ignore);
    const approve = await call(url(`/api/v2/requests/${requestId}`), {
      method: 'PUT',
      headers: bob,
      body: { modification_model: { command: 'approve_request' } },
    });
    expect(approve.status, approve.body).toBe(403);
    const view = await call(url(`/api/v2/challenge_validator/${challengeToken}`), { headers: bob });
    expect(outcome(view)).toEqual({ status: 403, code: 'FORBIDDEN' });
    const take = await call(url(`/api/v2/challenge_validator/${challengeToken}`), {
      method: 'POST',
      headers: bob,
      body: { nonce: 'guessed' },
    });
    expect(outcome(take)).toEqual({ status: 403, code: 'FORBIDDEN' });
    expect(await readState(stack, ignore)).toEqual(before);
    const poll = await call(url(`/noauth/v1/challenge_poller/${challengeToken}`));
    expect(JSON.parse(poll.body)).toMatchObject({ status: 'pending' });
  });
});
