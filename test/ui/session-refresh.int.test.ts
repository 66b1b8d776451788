import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '@rolecall/shared/config';
import { silentLogger } from '@rolecall/shared/log';
import { freePort } from '@rolecall/testing';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../services/gateway/src/app.js';
import type { GatewayApp } from '../../services/gateway/src/routes/deps.js';
import { ACCOUNTS, demoItems } from '../../services/gateway/test/seed.js';
import {
  startOidcProvider,
  withOidc,
  type RunningOidcProvider,
} from '../../services/gateway/test/support/oidc-provider.js';
import {
  startSeededGateway,
  type SeededGateway,
} from '../../services/gateway/test/support/seeded-gateway.js';
import { launchBrowser, WEB_DIST } from '../support/browser.js';

const ALICE = { email: 'alice@example.com', groups: ['engineering'] };
const SESSION_COOKIE = 'consoleme_auth';
const REFRESH_COOKIE = 'rolecall_oidc_refresh';
/**
 * The shortest session the schema allows (1 minute), renewed once less than 52 s of it are left: the UI
 * refreshes a few seconds after sign-in, which a test can wait for without asserting any time.
 */
const SESSION_MINUTES = 1;
const REFRESH_BEFORE_SECONDS = 52;
/** Far longer than the renewal takes, so a slow machine only makes the test slower. */
const WAIT_MS = 40_000;

let gateway: SeededGateway | undefined;
let provider: RunningOidcProvider | undefined;
let app: GatewayApp | undefined;
let browser: Browser | undefined;
let base: string;

beforeAll(async () => {
  if (!existsSync(join(WEB_DIST, 'index.html'))) {
    throw new Error('the web UI is not built: run `npx turbo run build` first');
  }
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  provider = await startOidcProvider({
    redirectUri: `${base}/auth/oidc/callback`,
    postLogoutRedirectUri: `${base}/`,
  });
  provider.signInAs(ALICE);
  gateway = await startSeededGateway({
    prefix: 'ui-refresh:',
    seed: { items: demoItems(), accounts: ACCOUNTS },
    config: { gateway: { trustedProxies: [] } },
  });
  const document = structuredClone(gateway.config);
  app = await buildApp({
    config: parseConfig(
      withOidc(document, provider, SESSION_MINUTES, { refreshBeforeSeconds: REFRESH_BEFORE_SECONDS }),
    ),
    redis: gateway.redis,
    nc: gateway.nc,
    log: silentLogger(),
    webRoot: WEB_DIST,
  });
  await app.listen({ host: '127.0.0.1', port });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await provider?.stop();
  await gateway?.stop();
});

async function cookie(context: BrowserContext, name: string): Promise<string | undefined> {
  return (await context.cookies(base)).find((c) => c.name === name)?.value;
}

/**
 * Signs in through the provider in the page, as a person would, and waits for the signed-in page.
 * `refresh` is the page's first call to the refresh route, watched for from before the sign-in.
 */
async function signedInPage(): Promise<{ context: BrowserContext; page: Page; refresh: Promise<Request> }> {
  const context = await browser!.newContext({ baseURL: base });
  const page = await context.newPage();
  const refresh = page.waitForRequest(
    (request) => request.url() === `${base}/auth/oidc/refresh` && request.method() === 'POST',
    { timeout: WAIT_MS * 2 },
  );
  await page.goto('/auth/oidc/login?returnTo=/');
  // The user's name is in the top bar (collapsed into a menu on a narrow page, hence attached, not visible).
  await page.getByText(ALICE.email).first().waitFor({ state: 'attached', timeout: WAIT_MS });
  // A mark on this document: still there later means the page was never reloaded.
  await page.evaluate(() => {
    (globalThis as { rolecallTestMark?: string }).rolecallTestMark = 'same document';
  });
  return { context, page, refresh };
}

const markOf = (page: Page) =>
  page.evaluate(() => (globalThis as { rolecallTestMark?: string }).rolecallTestMark);

describe('the UI renews an OIDC session before it expires', () => {
  it('refreshes the session cookie in the background, with the CSRF header, without a reload', async () => {
    const { context, page, refresh: refreshed } = await signedInPage();
    const first = await cookie(context, SESSION_COOKIE);
    expect(first).toBeDefined();
    const refresh = await refreshed;
    const csrf = await cookie(context, 'rolecall_csrf');
    expect(refresh.headers()['x-csrf-token']).toBe(csrf && decodeURIComponent(csrf));
    const answer = await refresh.response();
    expect(answer?.status()).toBe(200);
    expect(await answer?.json()).toMatchObject({ refreshed: true });
    const renewed = await cookie(context, SESSION_COOKIE);
    expect(renewed).toBeDefined();
    expect(renewed).not.toBe(first);
    // The UI read its session again and is still signed in, on the same document.
    await page.waitForResponse((response) => response.url() === `${base}/api/v3/session`, {
      timeout: WAIT_MS,
    });
    const session = (await (await context.request.get('/api/v3/session')).json()) as {
      signedIn: boolean;
      user: string;
      refreshable: boolean;
    };
    expect(session).toMatchObject({ signedIn: true, user: ALICE.email, refreshable: true });
    expect(await markOf(page)).toBe('same document');
    await context.close();
  });

  it('signs the browser out cleanly when the refresh is refused', async () => {
    const { context, page, refresh: refreshed } = await signedInPage();
    // The refresh token is gone (as when the provider revoked it): the gateway cannot renew the session.
    await context.clearCookies({ name: REFRESH_COOKIE });
    const refresh = await (await refreshed).response();
    if (!refresh) throw new Error('the refresh call got no answer');
    expect(refresh.status()).toBe(401);
    expect(((await refresh.json()) as { code: string }).code).toBe('OIDC_SIGN_IN_FAILED');
    // The UI signed out: the session cookie is cleared and the sign-in page shows, with no reload.
    await page.waitForURL((url) => url.pathname === '/signin', { timeout: WAIT_MS });
    await page.getByText('Sign in with Test IdP').first().waitFor({ timeout: WAIT_MS });
    expect(await cookie(context, SESSION_COOKIE)).toBeUndefined();
    expect(await markOf(page)).toBe('same document');
    await context.close();
  });
});
