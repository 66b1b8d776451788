import { parseConfig } from '@rolecall/shared/config';
import { silentLogger } from '@rolecall/shared/log';
import { freePort } from '@rolecall/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import type { GatewayApp } from '../src/routes/deps.js';
import { ACCOUNTS, demoItems } from './seed.js';
import { startOidcProvider, type RunningOidcProvider } from './support/oidc-provider.js';
import { startSeededGateway, type SeededGateway } from './support/seeded-gateway.js';

const ALICE = { email: 'alice@example.com', groups: ['Engineering', 'oncall'] };
const SESSION_MINUTES = 10;

/**
 * A browser as far as sign-in needs one: cookies per origin (paths and expiry honoured loosely: a cookie
 * set empty or expired is dropped), redirects followed by hand so each hop can be looked at.
 */
class Browser {
  readonly jar = new Map<string, Map<string, string>>();

  async request(url: string, init: { method?: string } = {}): Promise<Response> {
    const target = new URL(url);
    const cookies = [...(this.jar.get(target.origin) ?? new Map<string, string>())]
      .map(([name, value]) => `${name}=${value}`)
      .join('; ');
    // As the web UI does: a state-changing call repeats the gateway's CSRF cookie in X-CSRF-Token.
    const method = init.method ?? 'GET';
    // The UI reads its session first, whose answer sets the CSRF cookie for a signed-in browser.
    if (method !== 'GET' && this.jar.get(target.origin)?.has('rolecall_csrf') !== true) {
      await this.request(`${target.origin}/api/v3/session`);
    }
    const csrf = this.jar.get(target.origin)?.get('rolecall_csrf');
    const headers: Record<string, string> = cookies ? { cookie: cookies } : {};
    if (method !== 'GET' && csrf !== undefined) headers['x-csrf-token'] = decodeURIComponent(csrf);
    const response = await fetch(target, { method, redirect: 'manual', headers });
    const jar = this.jar.get(target.origin) ?? new Map<string, string>();
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const [name = '', ...rest] = pair.split('=');
      const value = rest.join('=');
      const expires = attributes.find((a) => a.trim().toLowerCase().startsWith('expires='));
      const expired = expires !== undefined && new Date(expires.split('=')[1] ?? '').getTime() < Date.now();
      if (value === '' || expired || /max-age=0/i.test(line)) jar.delete(name.trim());
      else jar.set(name.trim(), value);
    }
    this.jar.set(target.origin, jar);
    return response;
  }

  /** Follows redirects from `url` until `stop` says so (given the next URL) or a page answers. */
  async follow(
    url: string,
    stop: (next: URL) => boolean = () => false,
  ): Promise<{ response: Response; url: URL }> {
    let current = new URL(url);
    for (let hop = 0; hop < 20; hop += 1) {
      const response = await this.request(current.href);
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) return { response, url: current };
      const next = new URL(location, current);
      if (stop(next)) return { response, url: next };
      current = next;
    }
    throw new Error(`too many redirects from ${url}`);
  }

  cookie(origin: string, name: string): string | undefined {
    return this.jar.get(origin)?.get(name);
  }
}

let gateway: SeededGateway | undefined;
let provider: RunningOidcProvider | undefined;
let app: GatewayApp | undefined;
let base: string;
let clockOffsetMs = 0;

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  provider = await startOidcProvider({
    redirectUri: `${base}/auth/oidc/callback`,
    postLogoutRedirectUri: `${base}/`,
  });
  gateway = await startSeededGateway({
    prefix: 'gw-oidc:',
    seed: { items: demoItems(), accounts: ACCOUNTS },
    config: { gateway: { trustedProxies: [] } },
  });
  const document = structuredClone(gateway.config);
  app = await buildApp({
    config: parseConfig({
      ...document,
      auth: {
        ...document.auth,
        jwt: { ...document.auth.jwt, expirationMinutes: SESSION_MINUTES },
        oidc: {
          issuer: provider.issuer,
          clientId: provider.clientId,
          clientSecret: provider.clientSecret,
          providerName: 'Test IdP',
        },
      },
    }),
    redis: gateway.redis,
    nc: gateway.nc,
    log: silentLogger(),
    now: () => Date.now() + clockOffsetMs,
  });
  await app.listen({ host: '127.0.0.1', port });
});

afterAll(async () => {
  await app?.close();
  await provider?.stop();
  await gateway?.stop();
});

beforeEach(() => {
  clockOffsetMs = 0;
  provider?.forgeIdTokens(undefined);
  provider?.signInAs(ALICE);
});

const isCallback = (next: URL) => next.href.startsWith(`${base}/auth/oidc/callback`);

/** Starts a sign-in and walks the provider's pages up to (not into) the redirect back to the gateway. */
async function toCallback(browser: Browser): Promise<URL> {
  const { url } = await browser.follow(`${base}/auth/oidc/login?returnTo=/requests`, isCallback);
  expect(isCallback(url)).toBe(true);
  return url;
}

async function sessionOf(browser: Browser) {
  const response = await browser.request(`${base}/api/v3/session`);
  return (await response.json()) as { signedIn: boolean; user?: string; groups?: string[]; signIn: string };
}

async function errorOf(response: Response): Promise<{ status: number; code: string; message: string }> {
  const body = (await response.json()) as { code: string; message: string };
  return { status: response.status, code: body.code, message: body.message };
}

describe('OIDC sign-in (authorization code + PKCE) against a real OpenID provider', () => {
  it('offers "Sign in with <provider>" on the session route', async () => {
    const session = await new Browser().request(`${base}/api/v3/session`);
    expect(await session.json()).toMatchObject({ signedIn: false, signIn: 'oidc', providerName: 'Test IdP' });
  });

  it('sends the browser to the provider with PKCE (S256), state and nonce', async () => {
    const response = await new Browser().request(`${base}/auth/oidc/login`);
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location') ?? '');
    expect(location.origin).toBe(provider?.issuer);
    expect(location.searchParams.get('code_challenge_method')).toBe('S256');
    for (const name of ['code_challenge', 'state', 'nonce'])
      expect(location.searchParams.get(name)).toMatch(/^.{20,}$/);
    expect(location.searchParams.get('redirect_uri')).toBe(`${base}/auth/oidc/callback`);
  });

  it('signs in: the callback sets the session cookie, with the groups from the claim, and lands on returnTo', async () => {
    const browser = new Browser();
    const callback = await toCallback(browser);
    const landed = await browser.request(callback.href);
    expect(landed.status).toBe(302);
    expect(landed.headers.get('location')).toBe('/requests');
    expect(browser.cookie(base, 'consoleme_auth')).toBeDefined();
    expect(browser.cookie(base, 'rolecall_oidc_tx')).toBeUndefined();
    expect(await sessionOf(browser)).toMatchObject({
      signedIn: true,
      user: ALICE.email,
      groups: ['engineering', 'oncall'],
    });
  });

  it('refuses a tampered state, before the code is redeemed', async () => {
    const browser = new Browser();
    const callback = await toCallback(browser);
    callback.searchParams.set('state', `${callback.searchParams.get('state') ?? ''}x`);
    expect(await errorOf(await browser.request(callback.href))).toMatchObject({
      status: 400,
      code: 'OIDC_STATE_INVALID',
    });
    expect((await sessionOf(browser)).signedIn).toBe(false);
  });

  it('refuses a callback in a browser that did not start the sign-in (no transaction cookie)', async () => {
    const callback = await toCallback(new Browser());
    expect(await errorOf(await new Browser().request(callback.href))).toMatchObject({
      status: 400,
      code: 'OIDC_STATE_INVALID',
    });
  });

  it('refuses a replayed code, even with the transaction cookie kept', async () => {
    const browser = new Browser();
    const callback = await toCallback(browser);
    const kept = new Map(browser.jar.get(base));
    expect((await browser.request(callback.href)).status).toBe(302);
    const replay = new Browser();
    replay.jar.set(base, kept);
    const refused = await errorOf(await replay.request(callback.href));
    expect(refused).toMatchObject({ status: 401, code: 'OIDC_SIGN_IN_FAILED' });
    expect(refused.message).toContain('invalid_grant');
    expect((await sessionOf(replay)).signedIn).toBe(false);
  });

  it('accepts an ID token the front re-signed unchanged, so the refusals below are the claims', async () => {
    provider?.forgeIdTokens((claims) => claims);
    const browser = new Browser();
    expect((await browser.request((await toCallback(browser)).href)).status).toBe(302);
    expect((await sessionOf(browser)).signedIn).toBe(true);
  });

  const forgeries: [
    label: string,
    change: (claims: Record<string, unknown>) => Record<string, unknown>,
    says: RegExp,
  ][] = [
    ['a wrong audience', (claims) => ({ ...claims, aud: 'another-client' }), /aud/],
    [
      'an expired token',
      (claims) => ({ ...claims, iat: Number(claims.iat) - 7200, exp: Number(claims.iat) - 3600 }),
      /exp/,
    ],
    [
      'a token from another issuer',
      (claims) => ({ ...claims, iss: 'http://127.0.0.1:1/other-issuer' }),
      /iss/,
    ],
  ];
  for (const [label, change, says] of forgeries) {
    it(`refuses ${label}`, async () => {
      provider?.forgeIdTokens(change);
      const browser = new Browser();
      const refused = await errorOf(await browser.request((await toCallback(browser)).href));
      expect(refused).toMatchObject({ status: 401, code: 'OIDC_SIGN_IN_FAILED' });
      expect(refused.message).toMatch(says);
      expect(browser.cookie(base, 'consoleme_auth')).toBeUndefined();
    });
  }

  it('renews a session near its expiry with the refresh token, reading the groups again', async () => {
    const browser = new Browser();
    await browser.request((await toCallback(browser)).href);
    const early = await browser.request(`${base}/auth/oidc/refresh`, { method: 'POST' });
    expect(await early.json()).toMatchObject({ refreshed: false });
    const before = browser.cookie(base, 'consoleme_auth');

    provider?.setGroups(ALICE.email, ['engineering', 'admins']);
    clockOffsetMs = (SESSION_MINUTES * 60 - 60) * 1000;
    const renewed = await browser.request(`${base}/auth/oidc/refresh`, { method: 'POST' });
    expect(renewed.status).toBe(200);
    expect(await renewed.json()).toMatchObject({ refreshed: true });
    expect(browser.cookie(base, 'consoleme_auth')).not.toBe(before);
    expect(await sessionOf(browser)).toMatchObject({ signedIn: true, groups: ['engineering', 'admins'] });
  });

  it('refuses to renew without a refresh token', async () => {
    const refused = await errorOf(
      await new Browser().request(`${base}/auth/oidc/refresh`, { method: 'POST' }),
    );
    expect(refused).toMatchObject({ status: 401, code: 'OIDC_SIGN_IN_FAILED' });
  });

  it("signs out: the cookies go, and the provider's end-session URL is given", async () => {
    const browser = new Browser();
    await browser.request((await toCallback(browser)).href);
    const out = await browser.request(`${base}/auth/logout`, { method: 'POST' });
    const body = (await out.json()) as { signedOut: boolean; endSessionUrl?: string };
    expect(body.signedOut).toBe(true);
    const end = new URL(body.endSessionUrl ?? '');
    expect(end.origin).toBe(provider?.issuer);
    expect(end.searchParams.get('post_logout_redirect_uri')).toBe(`${base}/`);
    expect(end.searchParams.get('id_token_hint')).toMatch(/^ey/);
    expect(browser.cookie(base, 'consoleme_auth')).toBeUndefined();
    expect((await sessionOf(browser)).signedIn).toBe(false);
  });
});
