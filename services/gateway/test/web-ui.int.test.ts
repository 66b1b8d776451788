import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSeededGateway, type SeededGateway } from './support/seeded-gateway.js';
import { ACCOUNTS, PROD, USER, demoItems } from './seed.js';

const INDEX =
  '<!doctype html><html><body><div id="root"></div><script src="/assets/app-3f2a9c.js"></script></body></html>';
const SCRIPT = `console.log(${JSON.stringify('rolecall '.repeat(200))});`;
const HTML = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };
const DEMO_USERS = [
  { email: 'alice@example.com', groups: ['engineering', 'payments'], description: 'Payments engineer' },
  { email: 'carol@example.com', groups: ['contractors'] },
];

let webRoot: string;
let gateway: SeededGateway | undefined;
let plain: SeededGateway | undefined;

beforeAll(async () => {
  // A build as packages/web makes it: index.html, hashed assets and their precompressed copies.
  webRoot = await mkdtemp(join(tmpdir(), 'rolecall-web-'));
  await mkdir(join(webRoot, 'assets'));
  await writeFile(join(webRoot, 'index.html'), INDEX);
  await writeFile(join(webRoot, 'assets', 'app-3f2a9c.js'), SCRIPT);
  await writeFile(join(webRoot, 'assets', 'app-3f2a9c.js.gz'), gzipSync(SCRIPT));
  await writeFile(join(webRoot, 'assets', 'app-3f2a9c.js.br'), brotliCompressSync(SCRIPT));
  await writeFile(join(webRoot, 'iam-actions.txt'), 's3 GetObject:R\n');
  [gateway, plain] = await Promise.all([
    startSeededGateway({
      prefix: 'gw-web:',
      seed: { items: demoItems(), accounts: ACCOUNTS },
      config: { demo: { users: DEMO_USERS } },
      webRoot,
    }),
    startSeededGateway({ prefix: 'gw-web-plain:', seed: { items: [], accounts: ACCOUNTS } }),
  ]);
});

afterAll(async () => {
  await Promise.all([gateway?.stop(), plain?.stop()]);
  await rm(webRoot, { recursive: true, force: true });
});

const app = () => {
  if (!gateway) throw new Error('gateway not started');
  return gateway.app;
};

describe('serving the web UI', () => {
  it('answers index.html, uncached, at every page path, so deep links work on reload', async () => {
    for (const url of [
      '/',
      '/signin',
      '/role/arn:aws:iam::111111111111:role/admin?r=us-west-2&redirect=https%3A%2F%2Fconsole.aws.amazon.com%2Fs3',
      '/resources',
      '/policies',
      '/policies/edit/111111111111/iamrole/admin',
      '/selfservice',
      '/requests',
      '/requests/abc-123',
      '/admin/cache',
    ]) {
      const page = await app().inject({ method: 'GET', url, headers: HTML });
      expect({ url, status: page.statusCode, body: page.body }).toEqual({ url, status: 200, body: INDEX });
      expect(page.headers['content-type']).toContain('text/html');
      expect(page.headers['cache-control']).toBe('no-cache');
    }
  });

  it('serves hashed assets precompressed with a year-long immutable cache', async () => {
    const brotli = await app().inject({
      method: 'GET',
      url: '/assets/app-3f2a9c.js',
      headers: { 'accept-encoding': 'br, gzip' },
    });
    expect(brotli.statusCode).toBe(200);
    expect(brotli.headers['content-encoding']).toBe('br');
    expect(brotli.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(brotli.headers['content-type']).toContain('javascript');
    const gzip = await app().inject({
      method: 'GET',
      url: '/assets/app-3f2a9c.js',
      headers: { 'accept-encoding': 'gzip' },
    });
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gzip.rawPayload).toString()).toBe(SCRIPT);
    const unhashed = await app().inject({ method: 'GET', url: '/iam-actions.txt' });
    expect(unhashed.statusCode).toBe(200);
    expect(unhashed.headers['cache-control']).toBe('no-cache');
  });

  it('keeps API paths JSON: an unknown API route is a JSON 404 even for a browser', async () => {
    for (const url of ['/api/v3/no-such-route', '/api/v2/no-such-route', '/noauth/v1/nothing']) {
      const response = await app().inject({ method: 'GET', url, headers: HTML });
      expect(response.statusCode).toBe(404);
      expect(response.json()).toMatchObject({ code: 'ROUTE_NOT_FOUND' });
    }
    const api = await app().inject({ method: 'GET', url: '/api/v3/cache/status', headers: HTML });
    expect(api.statusCode).toBe(401);
    expect(api.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('gives a browser on an unknown page the app (404), and a script the JSON 404', async () => {
    const browser = await app().inject({ method: 'GET', url: '/no/such/page', headers: HTML });
    expect(browser.statusCode).toBe(404);
    expect(browser.body).toBe(INDEX);
    const script = await app().inject({ method: 'GET', url: '/no/such/page' });
    expect(script.statusCode).toBe(404);
    expect(script.json()).toMatchObject({ code: 'ROUTE_NOT_FOUND' });
  });

  it('hands a browser the app at /challenge_validator/{token}, and anything else the server page', async () => {
    const browser = await app().inject({ method: 'GET', url: '/challenge_validator/abc', headers: HTML });
    expect(browser.statusCode).toBe(200);
    expect(browser.body).toBe(INDEX);
    // Scripts fetch with */*: the server-rendered page as before, which states the refusal itself.
    const signedOut = await app().inject({ method: 'GET', url: '/challenge_validator/abc' });
    expect(signedOut.statusCode).toBe(401);
    expect(signedOut.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
    const other = await app().inject({ method: 'GET', url: '/challenge_validator/abc', headers: USER });
    expect(other.statusCode).toBe(404);
    expect(other.headers['content-type']).toContain('text/html');
    expect(other.body).toContain('does not exist');
  });

  it('explains how to build the UI on a gateway that has none', async () => {
    const page = await plain!.app.inject({ method: 'GET', url: '/', headers: HTML });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('npm run build');
  });
});

describe('demo sign-in', () => {
  const cookieOf = (setCookie: string | string[] | undefined) => {
    const header = Array.isArray(setCookie) ? setCookie.join('\n') : (setCookie ?? '');
    return header;
  };

  it('says who is signed in: nobody, and the demo users to pick from', async () => {
    const session = await app().inject({ method: 'GET', url: '/api/v3/session' });
    expect(session.statusCode).toBe(200);
    expect(session.json()).toEqual({
      signedIn: false,
      isAdmin: false,
      signIn: 'demo',
      demoUsers: DEMO_USERS,
    });
  });

  it('signs in a demo user with the JWT cookie, which then identifies the browser on every route', async () => {
    const signIn = await app().inject({
      method: 'POST',
      url: '/api/v3/session/demo',
      payload: { email: 'Alice@Example.com' },
    });
    expect(signIn.statusCode).toBe(200);
    expect(signIn.json()).toEqual({ user: 'alice@example.com', groups: ['engineering', 'payments'] });
    const setCookie = cookieOf(signIn.headers['set-cookie']);
    expect(setCookie).toMatch(/^consoleme_auth=[^;]+;/);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Lax');
    expect(setCookie).not.toContain('Secure');
    const cookie = setCookie.split(';')[0] ?? '';

    const session = await app().inject({ method: 'GET', url: '/api/v3/session', headers: { cookie } });
    expect(session.json()).toMatchObject({
      signedIn: true,
      user: 'alice@example.com',
      groups: ['engineering', 'payments'],
      isAdmin: false,
    });
    const status = await app().inject({ method: 'GET', url: '/api/v3/cache/status', headers: { cookie } });
    expect(status.statusCode).toBe(200);

    // A state-changing call with the cookie repeats the CSRF token the gateway set beside it.
    const csrf = /rolecall_csrf=([^;]+)/.exec(cookieOf(session.headers['set-cookie']))?.[1] ?? '';
    expect(csrf).not.toBe('');
    const signOut = await app().inject({
      method: 'POST',
      url: '/api/v3/session/sign-out',
      headers: { cookie: `${cookie}; rolecall_csrf=${csrf}`, 'x-csrf-token': csrf },
    });
    expect(signOut.statusCode).toBe(200);
    expect(cookieOf(signOut.headers['set-cookie'])).toMatch(/^consoleme_auth=;.*Expires=Thu, 01 Jan 1970/);
  });

  it('refuses someone who is not a demo user, setting no cookie', async () => {
    const response = await app().inject({
      method: 'POST',
      url: '/api/v3/session/demo',
      payload: { email: 'mallory@example.com' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'UNKNOWN_DEMO_USER' });
    expect(response.json<{ message: string }>().message).toContain('alice@example.com');
    expect(response.headers['set-cookie']).toBeUndefined();
  });

  it('is off where no demo users are configured: the proxy signs people in', async () => {
    const session = await plain!.app.inject({ method: 'GET', url: '/api/v3/session' });
    expect(session.json()).toMatchObject({ signedIn: false, signIn: 'proxy', demoUsers: [] });
    const response = await plain!.app.inject({
      method: 'POST',
      url: '/api/v3/session/demo',
      payload: { email: 'alice@example.com' },
    });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: 'DEMO_SIGN_IN_DISABLED' });
    expect(response.headers['set-cookie']).toBeUndefined();
  });
});

describe('GET /api/v3/resources/item', () => {
  it('answers one cached item whole, with its account name', async () => {
    const arn = `arn:aws:iam::${PROD}:role/admin`;
    const response = await app().inject({
      method: 'GET',
      url: `/api/v3/resources/item?arn=${encodeURIComponent(arn)}`,
      headers: USER,
    });
    expect(response.statusCode).toBe(200);
    const body = response.json<{ item: Record<string, unknown>; accountName: string }>();
    expect(body.item).toMatchObject({
      arn,
      itemType: 'iam_role',
      accountId: PROD,
      details: {
        inlinePolicies: [{ name: 'all' }],
        permissionsBoundary: { arn: `arn:aws:iam::${PROD}:policy/boundary` },
        lastUsed: { region: 'us-east-1' },
      },
    });
    expect(body.accountName).toBe(ACCOUNTS.find((a) => a.id === PROD)?.name);
  });

  it('answers 404 NOT_FOUND for an ARN the cache does not hold, and 400 for one that is no ARN', async () => {
    const missing = await app().inject({
      method: 'GET',
      url: `/api/v3/resources/item?arn=${encodeURIComponent(`arn:aws:iam::${PROD}:role/nobody`)}`,
      headers: USER,
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: 'NOT_FOUND' });
    const bad = await app().inject({
      method: 'GET',
      url: '/api/v3/resources/item?arn=not-an-arn',
      headers: USER,
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
