import type { DemoAccount } from '@rolecall/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJwtKeySet, verifyJwt } from '../src/domain/jwt.js';
import type { GatewayApp } from '../src/routes/deps.js';
import { TEST_JWT_SECRET } from './support/cookies.js';
import {
  ALICE_CLI_ONLY_ROLES,
  ALICE_CONSOLE_ROLES,
  roleArn,
  startCredentialStack,
  type CredentialStack,
} from './support/credential-stack.js';

let stack: CredentialStack;
let prod: DemoAccount;
let app: GatewayApp;
let anyIpApp: GatewayApp;
let clock = Date.parse('2026-03-01T10:00:00Z');

const ALICE = { 'x-forwarded-email': 'alice@example.com', 'x-forwarded-groups': 'engineering,payments' };
const PUBLIC_URL = 'http://rolecall.test:8081';

beforeAll(async () => {
  // The JWT the challenge login issues is used against the real broker, fed by a real crawl of prod.
  stack = await startCredentialStack({ memberAccountNames: ['prod'] });
  prod = stack.account('prod');
  const gateway = (requireSameIp: boolean) =>
    stack.buildGateway(
      {
        redis: { keyPrefix: 'gw-chal:' },
        gateway: { publicUrl: `${PUBLIC_URL}/`, trustedProxies: ['127.0.0.1', '::1', '10.9.0.0/16'] },
        auth: { jwt: { secret: TEST_JWT_SECRET, expirationMinutes: 30 }, challenge: { requireSameIp } },
      },
      { now: () => clock },
    );
  app = await gateway(true);
  anyIpApp = await gateway(false);
  await Promise.all([app.ready(), anyIpApp.ready()]);
});

afterAll(async () => {
  await Promise.all([app?.close(), anyIpApp?.close()]);
  await stack?.stop();
});

async function generate(user = 'alice@example.com', remoteAddress = '127.0.0.1') {
  const response = await app.inject({
    method: 'GET',
    url: `/noauth/v1/challenge_generator/${user}`,
    headers: { 'user-agent': 'Go-http-client/1.1', 'content-type': 'application/json' },
    remoteAddress,
  });
  expect(response.statusCode).toBe(200);
  const body = response.json<{ challenge_url: string; polling_url: string }>();
  const token = body.challenge_url.split('/').pop() ?? '';
  return { ...body, token };
}

const poll = (token: string, remoteAddress = '127.0.0.1', target = app) =>
  target
    .inject({ method: 'GET', url: `/noauth/v1/challenge_poller/${token}`, remoteAddress })
    .then((r) => r.json<Record<string, unknown>>());

const view = (token: string, remoteAddress: string, headers: Record<string, string> = ALICE, target = app) =>
  target.inject({ method: 'GET', url: `/api/v2/challenge_validator/${token}`, headers, remoteAddress });

const approve = (token: string, nonce: string, remoteAddress: string, headers = ALICE, target = app) =>
  target.inject({
    method: 'POST',
    url: `/api/v2/challenge_validator/${token}`,
    headers,
    remoteAddress,
    payload: { nonce },
  });

describe('Weep challenge login', () => {
  it('runs the whole flow: generate, approve from the IPv6 loopback, poll once for a JWT the CLI routes accept', async () => {
    const challenge = await generate();
    expect(challenge.challenge_url).toBe(`${PUBLIC_URL}/challenge_validator/${challenge.token}`);
    expect(challenge.polling_url).toBe(`${PUBLIC_URL}/noauth/v1/challenge_poller/${challenge.token}`);
    expect(await poll(challenge.token)).toEqual({ status: 'pending' });

    const page = await view(challenge.token, '::1');
    expect(page.statusCode).toBe(200);
    const shown = page.json<{ message: string; nonce: string; show_approve_button: boolean; ip: string }>();
    expect(shown).toMatchObject({ show_approve_button: true, ip: '127.0.0.1' });
    expect(shown.message).toContain('alice@example.com');

    const approved = await approve(challenge.token, shown.nonce, '::1');
    expect(approved.statusCode).toBe(200);
    expect(approved.json()).toMatchObject({ status: 'success' });
    expect((await approve(challenge.token, shown.nonce, '::1')).statusCode).toBe(409);

    const success = await poll(challenge.token, '::ffff:127.0.0.1');
    const nowSeconds = Math.floor(clock / 1000);
    expect(success).toEqual({
      status: 'success',
      cookie_name: 'consoleme_auth',
      expiration: nowSeconds + 30 * 60,
      encoded_jwt: expect.any(String) as string,
      user: 'alice@example.com',
      secure: false,
    });
    const verdict = await verifyJwt(
      success.encoded_jwt as string,
      createJwtKeySet({ secret: TEST_JWT_SECRET }),
      nowSeconds,
    );
    expect(verdict).toMatchObject({
      ok: true,
      claims: { email: 'alice@example.com', groups: ['engineering', 'payments'] },
    });

    // Single use: the token is gone.
    expect(await poll(challenge.token)).toEqual({ status: 'unknown' });

    const roles = await app.inject({
      method: 'GET',
      url: '/api/v1/get_roles?all=true',
      headers: { cookie: `consoleme_auth=${String(success.encoded_jwt)}` },
    });
    expect(roles.statusCode).toBe(200);
    // Exactly what the role tags grant the user and groups the JWT names.
    expect(roles.json()).toEqual(
      [...ALICE_CONSOLE_ROLES, ...ALICE_CLI_ONLY_ROLES].map((path) => roleArn(prod, path)).sort(),
    );
  });

  it('answers unauthorized to a poll from another address, whatever the state', async () => {
    const challenge = await generate();
    expect(await poll(challenge.token, '10.9.0.8')).toEqual({ status: 'unauthorized' });
    const nonce = (await view(challenge.token, '127.0.0.1')).json<{ nonce: string }>().nonce;
    await approve(challenge.token, nonce, '127.0.0.1');
    expect(await poll(challenge.token, '10.9.0.8')).toEqual({ status: 'unauthorized' });
    // The rightful poller still gets it.
    expect(await poll(challenge.token, '127.0.0.1')).toMatchObject({ status: 'success' });
  });

  it('refuses approval from another address unless auth.challenge.requireSameIp is off', async () => {
    const challenge = await generate();
    const elsewhere = { 'x-forwarded-email': 'alice@example.com', 'x-forwarded-groups': 'engineering' };
    const refused = await view(challenge.token, '10.9.0.8', elsewhere);
    expect(refused.statusCode).toBe(403);
    expect(refused.json<{ message: string }>().message).toContain('127.0.0.1');
    expect((await approve(challenge.token, 'whatever', '10.9.0.8', elsewhere)).statusCode).toBe(403);
    const relaxed = await view(challenge.token, '10.9.0.8', elsewhere, anyIpApp);
    expect(relaxed.statusCode).toBe(200);
    const nonce = relaxed.json<{ nonce: string }>().nonce;
    expect((await approve(challenge.token, nonce, '10.9.0.8', elsewhere, anyIpApp)).statusCode).toBe(200);
    expect(await poll(challenge.token, '127.0.0.1')).toMatchObject({ status: 'success' });
  });

  it('refuses approval by another user, without identity, or with the wrong nonce', async () => {
    const challenge = await generate();
    const bob = { 'x-forwarded-email': 'bob@example.com', 'x-forwarded-groups': 'data' };
    expect((await view(challenge.token, '127.0.0.1', bob)).statusCode).toBe(403);
    expect((await view(challenge.token, '127.0.0.1', {})).statusCode).toBe(401);
    expect((await approve(challenge.token, 'not-the-nonce', '127.0.0.1')).statusCode).toBe(403);
    expect(await poll(challenge.token)).toEqual({ status: 'pending' });
  });

  it('expires a challenge after two minutes: the poll says expired, approval is refused', async () => {
    const challenge = await generate();
    const nonce = (await view(challenge.token, '127.0.0.1')).json<{ nonce: string }>().nonce;
    clock += 2 * 60_000 + 1;
    try {
      expect((await approve(challenge.token, nonce, '127.0.0.1')).statusCode).toBe(404);
      expect(await poll(challenge.token)).toEqual({ status: 'expired' });
      expect(await poll(challenge.token)).toEqual({ status: 'unknown' });
    } finally {
      clock -= 2 * 60_000 + 1;
    }
  });

  it('answers unknown for a token that never existed', async () => {
    expect(await poll('00000000-0000-0000-0000-000000000000')).toEqual({ status: 'unknown' });
  });

  it('serves the approval page with who, from where, when, and an Approve button that posts the nonce', async () => {
    const challenge = await generate('alice@example.com<script>');
    const page = await app.inject({
      method: 'GET',
      url: `/challenge_validator/${challenge.token}`,
      headers: { 'x-forwarded-email': 'alice@example.com<script>' },
      remoteAddress: '127.0.0.1',
    });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('alice@example.com&lt;script&gt;');
    expect(page.body).not.toContain('alice@example.com<script>');
    expect(page.body).toContain('127.0.0.1');
    expect(page.body).toContain('2026-03-01T10:00:00.000Z');
    expect(page.body).toContain('<button type="submit">Approve</button>');
    expect(page.body).toContain(`/api/v2/challenge_validator/${challenge.token}`);
    const other = await app.inject({
      method: 'GET',
      url: `/challenge_validator/${challenge.token}`,
      headers: ALICE,
      remoteAddress: '127.0.0.1',
    });
    expect(other.statusCode).toBe(403);
    expect(other.body).toContain('sign in as that user');
  });

  it('marks the cookie secure only when the public URL is https', async () => {
    const httpsApp = await stack.buildGateway({
      redis: { keyPrefix: 'gw-chal-https:' },
      gateway: { publicUrl: 'https://rolecall.example.com' },
      auth: { jwt: { secret: TEST_JWT_SECRET } },
    });
    try {
      const created = await httpsApp.inject({
        method: 'GET',
        url: '/noauth/v1/challenge_generator/alice@example.com',
      });
      const { challenge_url: challengeUrl } = created.json<{ challenge_url: string }>();
      expect(challengeUrl.startsWith('https://rolecall.example.com/challenge_validator/')).toBe(true);
      const token = challengeUrl.split('/').pop() ?? '';
      const { nonce } = (await view(token, '127.0.0.1', ALICE, httpsApp)).json<{ nonce: string }>();
      await approve(token, nonce, '127.0.0.1', ALICE, httpsApp);
      expect(await poll(token, '127.0.0.1', httpsApp)).toMatchObject({ status: 'success', secure: true });
    } finally {
      await httpsApp.close();
    }
  });
});

describe('challenge_generator limits', () => {
  it('accepts a user name of 320 characters, the longest an email may be', async () => {
    const user = `${'a'.repeat(308)}@example.com`;
    expect(user).toHaveLength(320);
    const { token } = await generate(user);
    expect(await poll(token)).toMatchObject({ status: 'pending' });
    const tooLong = await app.inject({ method: 'GET', url: `/noauth/v1/challenge_generator/a${user}` });
    expect(tooLong.statusCode).toBe(400);
  });

  it('limits the challenges one source address may start, storing nothing for refused ones', async () => {
    const prefix = 'gw-chal-rl:';
    const limited = await stack.buildGateway(
      {
        redis: { keyPrefix: prefix },
        auth: { jwt: { secret: TEST_JWT_SECRET } },
        gateway: { rateLimit: { challengesPerMinute: 3 } },
      },
      { now: () => clock },
    );
    try {
      const start = (remoteAddress: string) =>
        limited.inject({
          method: 'GET',
          url: '/noauth/v1/challenge_generator/alice@example.com',
          remoteAddress,
        });
      const statuses = [];
      for (let i = 0; i < 5; i++) statuses.push((await start('10.9.0.5')).statusCode);
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      const refused = await start('10.9.0.5');
      expect(refused.json()).toMatchObject({ code: 'RATE_LIMITED' });
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      // Another address has its own count.
      expect((await start('10.9.0.6')).statusCode).toBe(200);
      expect(await stack.redis.keys(`${prefix}challenge:*`)).toHaveLength(4);
    } finally {
      await limited.close();
    }
  });
});
