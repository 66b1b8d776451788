import { parseConfig } from '@rolecall/shared/config';
import { silentLogger } from '@rolecall/shared/log';
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import type { GatewayApp } from '../src/routes/deps.js';
import { ACCOUNTS, demoItems } from './seed.js';
import { startSeededGateway, type SeededGateway } from './support/seeded-gateway.js';

const OLD_KEY = { id: 'key-2026-11', secret: 'old-key-old-key-old-key-old-key-old-key' };
const NEW_KEY = { id: 'key-2026-12', secret: 'new-key-new-key-new-key-new-key-new-key' };
const ALICE = { email: 'alice@example.com', groups: ['engineering'] };

/**
 * Three gateway copies on one NATS and Redis, as a rotation goes: before (the old key only), during (the new
 * key in front of the old one) and after (the old key removed). Each signs people in through the demo
 * sign-in, which sets the same JWT cookie the Weep challenge login issues.
 */
let gateway: SeededGateway | undefined;
const apps: GatewayApp[] = [];
let before: GatewayApp;
let during: GatewayApp;
let after: GatewayApp;

async function copyWithKeys(keys: (typeof OLD_KEY)[]): Promise<GatewayApp> {
  if (!gateway) throw new Error('the seeded gateway is not running');
  // structuredClone: the parsed config is frozen, and parsing fills defaults in place.
  const document = structuredClone(gateway.config);
  const config = parseConfig({ ...document, auth: { ...document.auth, jwt: { keys } } });
  const app = await buildApp({ config, redis: gateway.redis, nc: gateway.nc, log: silentLogger() });
  await app.ready();
  apps.push(app);
  return app;
}

beforeAll(async () => {
  gateway = await startSeededGateway({
    prefix: 'gw-rotation:',
    seed: { items: demoItems(), accounts: ACCOUNTS },
    // No trusted proxies: the cookie is the only identity these requests can have.
    config: { gateway: { trustedProxies: [] }, demo: { users: [ALICE] }, auth: { jwt: { keys: [OLD_KEY] } } },
  });
  before = gateway.app;
  during = await copyWithKeys([NEW_KEY, OLD_KEY]);
  after = await copyWithKeys([NEW_KEY]);
});

afterAll(async () => {
  await Promise.all(apps.map((app) => app.close()));
  await gateway?.stop();
});

async function signIn(app: GatewayApp): Promise<string> {
  const response = await app.inject({
    method: 'POST',
    url: '/api/v3/session/demo',
    payload: { email: ALICE.email },
  });
  expect(response.statusCode).toBe(200);
  const cookie = response.cookies.find((c) => c.name === 'consoleme_auth');
  if (!cookie) throw new Error('the demo sign-in set no session cookie');
  return cookie.value;
}

const sessionOf = async (app: GatewayApp, token: string) =>
  (await app.inject({ method: 'GET', url: '/api/v3/session', cookies: { consoleme_auth: token } })).json<{
    signedIn: boolean;
    user?: string;
  }>();

describe('rotating JWT signing keys', () => {
  it('signs with the newest configured key, named in kid', async () => {
    expect(decodeProtectedHeader(await signIn(before)).kid).toBe(OLD_KEY.id);
    expect(decodeProtectedHeader(await signIn(during)).kid).toBe(NEW_KEY.id);
  });

  it('keeps a session signed before the rotation: the copy with both keys still believes it', async () => {
    const token = await signIn(before);
    expect(await sessionOf(during, token)).toMatchObject({ signedIn: true, user: ALICE.email });
    const status = await during.inject({
      method: 'GET',
      url: '/api/v3/cache/status',
      cookies: { consoleme_auth: token },
    });
    expect(status.statusCode).toBe(200);
  });

  it('refuses a session signed with a removed key, on web routes (401) and CLI routes (403 invalid_jwt)', async () => {
    const token = await signIn(before);
    expect(await sessionOf(after, token)).toMatchObject({ signedIn: false });
    const web = await after.inject({
      method: 'GET',
      url: '/api/v3/cache/status',
      cookies: { consoleme_auth: token },
    });
    expect(web.statusCode).toBe(401);
    expect(web.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
    const cli = await after.inject({
      method: 'GET',
      url: '/api/v1/get_roles',
      cookies: { consoleme_auth: token },
    });
    expect(cli.statusCode).toBe(403);
    expect(cli.json<{ message: string }>().message).toContain('JWT was signed with another key (kid)');
  });

  it('believes, after the rotation, what the copy with both keys signed during it', async () => {
    const token = await signIn(during);
    expect(await sessionOf(after, token)).toMatchObject({ signedIn: true, user: ALICE.email });
    // The copy that never had the new key refuses it: the kid is unknown to it.
    expect(await sessionOf(before, token)).toMatchObject({ signedIn: false });
  });
});
