import { silentLogger } from '@rolecall/shared/log';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { CSRF_COOKIE, CSRF_HEADER } from '../src/plugins/csrf.js';
import type { GatewayApp } from '../src/routes/deps.js';
import { startSeededGateway, type SeededGateway } from './support/seeded-gateway.js';
import { TEST_JWT_SECRET } from './support/cookies.js';
import { ACCOUNTS, USER } from './seed.js';

const DEMO_USERS = [
  { email: 'alice@example.com', groups: ['engineering'] },
  { email: 'bob@example.com', groups: ['engineering'] },
];
const SIGN_INS_PER_MINUTE = 3;

let gateway: SeededGateway | undefined;
/** A second gateway copy on the same Redis and NATS, as a second replica behind a load balancer. */
let copy: GatewayApp | undefined;

beforeAll(async () => {
  gateway = await startSeededGateway({
    prefix: 'gw-hardening:',
    seed: { items: [], accounts: ACCOUNTS },
    config: {
      demo: { users: DEMO_USERS },
      auth: { jwt: { secret: TEST_JWT_SECRET } },
      gateway: { rateLimit: { signInsPerMinute: SIGN_INS_PER_MINUTE } },
    },
  });
  copy = await buildApp({
    config: gateway.config,
    redis: gateway.redis,
    nc: gateway.nc,
    log: silentLogger(),
    catalog: gateway.catalog,
  });
  await copy.ready();
});

afterAll(async () => {
  await copy?.close();
  await gateway?.stop();
});

const app = () => {
  if (!gateway) throw new Error('gateway not started');
  return gateway.app;
};

const setCookies = (header: string | string[] | undefined): string[] =>
  header === undefined ? [] : Array.isArray(header) ? header : [header];
const cookieNamed = (header: string | string[] | undefined, name: string) =>
  setCookies(header).find((c) => c.startsWith(`${name}=`));
const valueOf = (setCookie: string | undefined) => setCookie?.split(';')[0]?.split('=').slice(1).join('=');

/** Signs a demo user in, like the UI, from its own address (so sign-ins do not share one rate-limit window). */
async function signIn(email: string, remoteAddress: string) {
  const response = await app().inject({
    method: 'POST',
    url: '/api/v3/session/demo',
    payload: { email },
    remoteAddress,
  });
  expect(response.statusCode).toBe(200);
  const session = valueOf(cookieNamed(response.headers['set-cookie'], 'consoleme_auth')) ?? '';
  // The UI's next call (GET /api/v3/session) is answered with the CSRF token's cookie.
  const who = await app().inject({
    method: 'GET',
    url: '/api/v3/session',
    headers: { cookie: `consoleme_auth=${session}` },
    remoteAddress,
  });
  const csrfCookie = cookieNamed(who.headers['set-cookie'], CSRF_COOKIE);
  return { session, csrf: valueOf(csrfCookie) ?? '', csrfCookie: csrfCookie ?? '' };
}

describe('CSRF protection', () => {
  const address = '127.0.0.1';

  async function startChallenge() {
    const generated = await app().inject({
      method: 'GET',
      url: '/noauth/v1/challenge_generator/alice@example.com',
      remoteAddress: address,
    });
    const token = generated.json<{ challenge_url: string }>().challenge_url.split('/').pop() ?? '';
    return token;
  }
  const poll = async (token: string) =>
    (
      await app().inject({
        method: 'GET',
        url: `/noauth/v1/challenge_poller/${token}`,
        remoteAddress: address,
      })
    ).json<{ status: string }>().status;

  it('refuses a cookie-signed-in approval without its token or with another session’s, and changes nothing', async () => {
    const alice = await signIn('alice@example.com', '10.20.0.1');
    const bob = await signIn('bob@example.com', '10.20.0.2');
    expect(alice.csrf).not.toBe('');
    expect(bob.csrf).not.toBe(alice.csrf);
    const token = await startChallenge();
    const cookie = `consoleme_auth=${alice.session}; ${CSRF_COOKIE}=${alice.csrf}`;
    const view = await app().inject({
      method: 'GET',
      url: `/api/v2/challenge_validator/${token}`,
      headers: { cookie },
      remoteAddress: address,
    });
    expect(view.statusCode).toBe(200);
    const { nonce } = view.json<{ nonce: string }>();
    const approve = (headers: Record<string, string>) =>
      app().inject({
        method: 'POST',
        url: `/api/v2/challenge_validator/${token}`,
        headers: { cookie, ...headers },
        remoteAddress: address,
        payload: { nonce },
      });

    const attempts: Record<string, string>[] = [
      {},
      { [CSRF_HEADER]: bob.csrf },
      { [CSRF_HEADER]: `${alice.csrf}x` },
    ];
    for (const headers of attempts) {
      const refused = await approve(headers);
      expect(refused.statusCode).toBe(403);
      expect(refused.json()).toMatchObject({ code: 'CSRF_TOKEN_INVALID' });
      expect(refused.json<{ message: string }>().message).toContain(CSRF_HEADER);
      expect(await poll(token)).toBe('pending');
    }
    const approved = await approve({ [CSRF_HEADER]: alice.csrf });
    expect(approved.statusCode).toBe(200);
    expect(await poll(token)).toBe('success');
  });

  it('refuses a sign-out without the token, leaving the session cookie in place', async () => {
    const alice = await signIn('alice@example.com', '10.20.0.3');
    const refused = await app().inject({
      method: 'POST',
      url: '/api/v3/session/sign-out',
      headers: { cookie: `consoleme_auth=${alice.session}` },
    });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ code: 'CSRF_TOKEN_INVALID' });
    expect(cookieNamed(refused.headers['set-cookie'], 'consoleme_auth')).toBeUndefined();
  });

  it('sets the token in a cookie the page can read, SameSite=Strict', async () => {
    const alice = await signIn('alice@example.com', '10.20.0.4');
    expect(alice.csrfCookie).toContain('SameSite=Strict');
    expect(alice.csrfCookie).toContain('Path=/');
    expect(alice.csrfCookie).not.toContain('HttpOnly');
  });

  it('leaves callers a trusted proxy identifies, and Weep on the CLI routes, alone', async () => {
    const alice = await signIn('alice@example.com', '10.20.0.6');
    const viaProxy = await app().inject({
      method: 'POST',
      url: '/api/v3/session/sign-out',
      headers: { ...USER, cookie: `consoleme_auth=${alice.session}` },
    });
    expect(viaProxy.statusCode).toBe(200);
    // No broker runs here: the call gets as far as asking it, which a CSRF refusal would have stopped.
    const weep = await app().inject({
      method: 'POST',
      url: '/api/v1/get_credentials',
      headers: { cookie: `consoleme_auth=${alice.session}`, 'content-type': 'application/json' },
      payload: { requested_role: 'arn:aws:iam::111111111111:role/readonly' },
    });
    expect(weep.body).not.toContain('CSRF_TOKEN_INVALID');
    expect(weep.statusCode).not.toBe(403);
    expect(cookieNamed(weep.headers['set-cookie'], CSRF_COOKIE)).toBeUndefined();
  });
});

describe('security headers and cookies', () => {
  it('answers every kind of response with a CSP that runs no inline script, and the other helmet headers', async () => {
    const responses = await Promise.all([
      app().inject({ method: 'GET', url: '/healthcheck' }),
      app().inject({ method: 'GET', url: '/api/v3/session' }),
      app().inject({ method: 'GET', url: '/api/v3/cache/status' }),
      app().inject({ method: 'GET', url: '/no/such/route' }),
      app().inject({ method: 'GET', url: '/docs' }),
    ]);
    for (const response of responses) {
      const csp = String(response.headers['content-security-policy']);
      const scriptSrc = csp.split(';').find((d) => d.trim().startsWith('script-src '));
      expect(scriptSrc?.trim()).toBe("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("script-src-attr 'none'");
      expect(csp).not.toContain('upgrade-insecure-requests');
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['referrer-policy']).toBe('no-referrer');
      expect(response.headers['x-frame-options']).toBe('SAMEORIGIN');
    }
  });

  it('renders the challenge page with its script from a file, none inline', async () => {
    const token = (
      await app().inject({ method: 'GET', url: '/noauth/v1/challenge_generator/alice@example.com' })
    )
      .json<{ challenge_url: string }>()
      .challenge_url.split('/')
      .pop();
    const page = await app().inject({ method: 'GET', url: `/challenge_validator/${token}`, headers: USER });
    expect(page.statusCode).toBe(200);
    const scripts = [...page.body.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts).toHaveLength(1);
    expect(scripts[0]?.[1]).toContain('src="/static/challenge-approve.js"');
    expect(scripts[0]?.[2]).toBe('');
    const script = await app().inject({ method: 'GET', url: '/static/challenge-approve.js' });
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toContain('text/javascript');
    expect(script.body).toContain(CSRF_HEADER);
  });

  it('marks cookies Secure when a trusted proxy says the browser came over https, and only then', async () => {
    const signInWith = (remoteAddress: string) =>
      app().inject({
        method: 'POST',
        url: '/api/v3/session/demo',
        headers: { 'x-forwarded-proto': 'https' },
        payload: { email: 'alice@example.com' },
        remoteAddress,
      });
    const viaProxy = cookieNamed((await signInWith('127.0.0.1')).headers['set-cookie'], 'consoleme_auth');
    expect(viaProxy).toContain('Secure');
    expect(viaProxy).toContain('HttpOnly');
    expect(viaProxy).toContain('SameSite=Lax');
    const session = valueOf(viaProxy) ?? '';
    const csrf = await app().inject({
      method: 'GET',
      url: '/api/v3/session',
      headers: { 'x-forwarded-proto': 'https', cookie: `consoleme_auth=${session}` },
    });
    expect(cookieNamed(csrf.headers['set-cookie'], CSRF_COOKIE)).toContain('Secure');
    // Anyone else claiming https in the header is not believed (the gateway would be reached over http).
    const direct = cookieNamed((await signInWith('10.20.1.1')).headers['set-cookie'], 'consoleme_auth');
    expect(direct).toContain('HttpOnly');
    expect(direct).not.toContain('Secure');
  });
});

describe('rate limits and body limits', () => {
  it('counts sign-ins of one address across gateway copies through Redis, answering 429 with Retry-After', async () => {
    const address = '10.30.0.1';
    const signInOn = (target: GatewayApp, remoteAddress = address) =>
      target.inject({
        method: 'POST',
        url: '/api/v3/session/demo',
        payload: { email: 'alice@example.com' },
        remoteAddress,
      });
    const allowed = [];
    for (let i = 0; i < SIGN_INS_PER_MINUTE; i++) allowed.push(await signInOn(i % 2 === 0 ? app() : copy!));
    expect(allowed.map((r) => r.statusCode)).toEqual(Array(SIGN_INS_PER_MINUTE).fill(200));
    for (const target of [app(), copy!]) {
      const refused = await signInOn(target);
      expect(refused.statusCode).toBe(429);
      expect(refused.json()).toMatchObject({ code: 'RATE_LIMITED' });
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(cookieNamed(refused.headers['set-cookie'], 'consoleme_auth')).toBeUndefined();
    }
    expect((await signInOn(copy!, '10.30.0.2')).statusCode).toBe(200);
  });

  it('bounds the sign-in route’s body far below the policy routes’ limit', async () => {
    const padded = { email: `${'a'.repeat(9 * 1024)}@example.com` };
    const signIn = await app().inject({
      method: 'POST',
      url: '/api/v3/session/demo',
      payload: padded,
      remoteAddress: '10.30.0.3',
    });
    expect(signIn.statusCode).toBe(413);
    expect(signIn.json()).toMatchObject({ code: 'BODY_TOO_LARGE' });
    const signOut = await app().inject({
      method: 'POST',
      url: '/api/v3/session/sign-out',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ pad: 'x'.repeat(9 * 1024) }),
    });
    expect(signOut.statusCode).toBe(413);
    // A policy document of 100 KB is read and judged on its content, not refused for its size.
    const policy = await app().inject({
      method: 'POST',
      url: '/api/v2/policies/check',
      headers: USER,
      payload: { policy: JSON.stringify({ Version: '2012-10-17', Statement: [], pad: 'x'.repeat(100_000) }) },
    });
    expect(policy.statusCode).not.toBe(413);
  });
});
