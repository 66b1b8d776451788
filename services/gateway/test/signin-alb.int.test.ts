import { createHmac, generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseConfig } from '@rolecall/shared/config';
import { silentLogger } from '@rolecall/shared/log';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import type { GatewayApp } from '../src/routes/deps.js';
import { ACCOUNTS, demoItems } from './seed.js';
import { getFrom } from './support/http-from.js';
import { startSeededGateway, type SeededGateway } from './support/seeded-gateway.js';

const PROXY = '127.0.0.1';
const ELSEWHERE = '127.0.0.2';
const SIGNER =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/rolecall/50dc6c495c0c9188';
const OTHER_SIGNER =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/other/0123456789abcdef';
const API_ROUTE = '/api/v3/cache/status';
const CLI_ROUTE = '/api/v1/policies/typeahead?resource=account&search=prod';

/**
 * The ALB's key endpoint, played by the test on 127.0.0.1: `GET /<kid>` answers the PEM of a key the test
 * generated, 404 for any other kid. It counts the fetches, to show the gateway caches the keys.
 */
const albKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const KID = randomUUID();
const fetches = new Map<string, number>();
let keyServer: Server | undefined;
/** Accepts connections and never answers: a key endpoint that hangs. */
let hungServer: Server | undefined;

let gateway: SeededGateway | undefined;
let unreachable: GatewayApp | undefined;
let hung: GatewayApp | undefined;
let base: string;
let unreachableBase: string;
let hungBase: string;

async function listen(server: Server | GatewayApp): Promise<string> {
  if ('inject' in server) await server.listen({ host: '127.0.0.1', port: 0 });
  else await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = ('inject' in server ? server.server : server).address() as AddressInfo;
  return `http://127.0.0.1:${address.port}`;
}

/** A port nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** base64url as the ALB writes it: with '=' padding, which the JWS spec leaves out. */
const padded = (bytes: Buffer) => {
  const text = bytes.toString('base64url');
  return text + '='.repeat((4 - (text.length % 4)) % 4);
};
const segment = (value: unknown) => padded(Buffer.from(JSON.stringify(value)));

interface TokenOptions {
  header?: Record<string, unknown>;
  claims?: Record<string, unknown>;
  key?: KeyObject;
}

/** An `X-Amzn-Oidc-Data` value as an ALB builds it: ES256 over the padded segments, as sent. */
function albToken(options: TokenOptions = {}): string {
  const exp = Math.floor(Date.now() / 1000) + 120;
  const header = segment({
    alg: 'ES256',
    kid: KID,
    signer: SIGNER,
    iss: 'https://idp.example.com',
    client: 'rolecall',
    exp,
    ...options.header,
  });
  const claims = segment({
    sub: '8c0e2a7e',
    email: 'alice@example.com',
    groups: ['Engineering', 'admins'],
    exp,
    iss: 'https://idp.example.com',
    ...options.claims,
  });
  const signature = sign('sha256', Buffer.from(`${header}.${claims}`), {
    key: options.key ?? albKey.privateKey,
    dsaEncoding: 'ieee-p1363',
  });
  return `${header}.${claims}.${padded(signature)}`;
}

const albConfig = (publicKeysUrl: string, extra: Record<string, unknown> = {}) => ({
  signerArns: [SIGNER],
  region: 'eu-west-1',
  publicKeysUrl,
  ...extra,
});

beforeAll(async () => {
  keyServer = createServer((request, response) => {
    const kid = (request.url ?? '/').slice(1);
    fetches.set(kid, (fetches.get(kid) ?? 0) + 1);
    if (kid !== KID) {
      response.writeHead(404).end();
      return;
    }
    response
      .writeHead(200, { 'content-type': 'text/plain' })
      .end(albKey.publicKey.export({ type: 'spki', format: 'pem' }));
  });
  hungServer = createServer(() => undefined);
  const keysUrl = await listen(keyServer);
  const hungUrl = await listen(hungServer);

  gateway = await startSeededGateway({
    prefix: 'gw-alb:',
    seed: { items: demoItems(), accounts: ACCOUNTS },
    config: {
      gateway: { trustedProxies: [`${PROXY}/32`] },
      // No trusted-header routes: whatever is believed here comes from the ALB header.
      auth: { trustedHeaderRoutes: [], alb: albConfig(keysUrl) },
    },
  });
  base = await listen(gateway.app);
  const document = structuredClone(gateway.config);
  const withKeys = async (auth: Record<string, unknown>) =>
    buildApp({
      config: parseConfig({ ...document, auth: { ...document.auth, ...auth } }),
      redis: gateway!.redis,
      nc: gateway!.nc,
      log: silentLogger(),
    });
  unreachable = await withKeys({ alb: albConfig(`http://127.0.0.1:${await closedPort()}`) });
  unreachableBase = await listen(unreachable);
  hung = await withKeys({ alb: albConfig(hungUrl, { keyTimeoutMs: 300 }) });
  hungBase = await listen(hung);
});

afterAll(async () => {
  await hung?.close();
  await unreachable?.close();
  await gateway?.stop();
  hungServer?.closeAllConnections();
  await Promise.all(
    [keyServer, hungServer].map(
      (server) => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())),
    ),
  );
});

const codeOf = (body: string) => (JSON.parse(body) as { code: string }).code;
const withToken = (token: string) => ({ 'x-amzn-oidc-data': token });

async function expectRefused(token: string, from = PROXY): Promise<void> {
  const response = await getFrom(from, `${base}${API_ROUTE}`, withToken(token));
  expect(response.status).toBe(401);
  expect(codeOf(response.body)).toBe('UNAUTHENTICATED');
  const session = await getFrom(from, `${base}/api/v3/session`, withToken(token));
  expect(JSON.parse(session.body)).toMatchObject({ signedIn: false });
}

describe('AWS ALB sign-in (X-Amzn-Oidc-Data)', () => {
  it('believes a token the ALB signed, padding and all, with the user and groups from its claims', async () => {
    const response = await getFrom(PROXY, `${base}${API_ROUTE}`, withToken(albToken()));
    expect(response.status).toBe(200);
    const session = await getFrom(PROXY, `${base}/api/v3/session`, withToken(albToken()));
    expect(JSON.parse(session.body)).toMatchObject({
      signedIn: true,
      user: 'alice@example.com',
      // Lower-cased (auth.lowercaseGroups); admins is a configured admin group.
      groups: ['engineering', 'admins'],
      isAdmin: true,
    });
  });

  it('fetches a key once and keeps it', async () => {
    const before = fetches.get(KID) ?? 0;
    for (let i = 0; i < 3; i += 1) {
      expect((await getFrom(PROXY, `${base}${API_ROUTE}`, withToken(albToken()))).status).toBe(200);
    }
    expect(before).toBe(1);
    expect(fetches.get(KID)).toBe(1);
  });

  it('takes groups given as one comma-separated string', async () => {
    const token = albToken({ claims: { groups: 'Ops, Audit' } });
    const session = await getFrom(PROXY, `${base}/api/v3/session`, withToken(token));
    expect(JSON.parse(session.body)).toMatchObject({ user: 'alice@example.com', groups: ['ops', 'audit'] });
  });

  it('refuses a token from a load balancer that is not configured', async () => {
    await expectRefused(albToken({ header: { signer: OTHER_SIGNER } }));
  });

  it('refuses an expired token, whether the header or the claims say so', async () => {
    const past = Math.floor(Date.now() / 1000) - 60;
    await expectRefused(albToken({ header: { exp: past }, claims: { exp: past } }));
    await expectRefused(albToken({ header: { exp: past } }));
    await expectRefused(albToken({ claims: { exp: past } }));
  });

  it('refuses a token with no expiry at all', async () => {
    await expectRefused(albToken({ header: { exp: undefined }, claims: { exp: undefined } }));
  });

  it('refuses a tampered payload', async () => {
    const [header, , signature] = albToken().split('.');
    const forged = segment({
      email: 'mallory@example.com',
      groups: ['admins'],
      exp: Date.now() / 1000 + 120,
    });
    await expectRefused(`${header}.${forged}.${signature}`);
  });

  it('refuses a token signed by another key under the real kid', async () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await expectRefused(albToken({ key: other.privateKey }));
  });

  it('refuses a kid the key endpoint does not know (404), and asks for it once', async () => {
    const kid = randomUUID();
    await expectRefused(albToken({ header: { kid } }));
    await expectRefused(albToken({ header: { kid } }));
    expect(fetches.get(kid)).toBe(1);
  });

  it('refuses a kid that could reach another path of the key endpoint, without fetching it', async () => {
    const kid = '../admin';
    await expectRefused(albToken({ header: { kid } }));
    expect(fetches.has('admin')).toBe(false);
  });

  it('refuses algorithms other than ES256: HS256 keyed with the public key, and none', async () => {
    const pem = albKey.publicKey.export({ type: 'spki', format: 'pem' });
    const header = segment({ alg: 'HS256', kid: KID, signer: SIGNER, exp: Date.now() / 1000 + 120 });
    const claims = segment({ email: 'alice@example.com', groups: ['admins'], exp: Date.now() / 1000 + 120 });
    const mac = createHmac('sha256', pem).update(`${header}.${claims}`).digest();
    await expectRefused(`${header}.${claims}.${padded(mac)}`);
    const none = segment({ alg: 'none', kid: KID, signer: SIGNER, exp: Date.now() / 1000 + 120 });
    await expectRefused(`${none}.${claims}.`);
  });

  it('ignores a valid token from an address that is not a trusted proxy', async () => {
    await expectRefused(albToken(), ELSEWHERE);
  });

  it('ignores the header on CLI routes, which are not in auth.alb.routeGroups by default', async () => {
    const response = await getFrom(PROXY, `${base}${CLI_ROUTE}`, withToken(albToken()));
    expect(response.status).toBe(403);
    expect(codeOf(response.body)).toBe('invalid_jwt');
  });

  it('answers 503 ALB_KEYS_UNAVAILABLE when the key endpoint is down, and 401 without the header', async () => {
    const response = await getFrom(PROXY, `${unreachableBase}${API_ROUTE}`, withToken(albToken()));
    expect(response.status).toBe(503);
    expect(codeOf(response.body)).toBe('ALB_KEYS_UNAVAILABLE');
    expect((JSON.parse(response.body) as { message: string }).message).toContain('public key endpoint');
    const anonymous = await getFrom(PROXY, `${unreachableBase}${API_ROUTE}`);
    expect(anonymous.status).toBe(401);
  });

  it('answers 503 ALB_KEYS_UNAVAILABLE when the key endpoint hangs past auth.alb.keyTimeoutMs', async () => {
    const response = await getFrom(PROXY, `${hungBase}${API_ROUTE}`, withToken(albToken()));
    expect(response.status).toBe(503);
    expect(codeOf(response.body)).toBe('ALB_KEYS_UNAVAILABLE');
  });
});
