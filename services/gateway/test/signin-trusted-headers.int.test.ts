import { parseConfig } from '@rolecall/shared/config';
import { silentLogger } from '@rolecall/shared/log';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import type { GatewayApp } from '../src/routes/deps.js';
import { ACCOUNTS, demoItems } from './seed.js';
import { getFrom } from './support/http-from.js';
import { startSeededGateway, type SeededGateway } from './support/seeded-gateway.js';

const PROXY = '127.0.0.1';
const ELSEWHERE = '127.0.0.2';
const ALICE = { 'x-forwarded-email': 'alice@example.com', 'x-forwarded-groups': 'engineering' };
const API_ROUTE = '/api/v3/cache/status';
const CLI_ROUTE = '/api/v1/policies/typeahead?resource=account&search=prod';

/**
 * Two gateway copies listening on 127.0.0.1, reached over real TCP from 127.0.0.1 (the proxy) and from
 * 127.0.0.2 (anyone else): `apiOnly` believes the proxy's headers on API routes only; `withCli` on CLI
 * routes too, and only from the proxy's /32.
 */
let gateway: SeededGateway | undefined;
let extra: GatewayApp | undefined;
let apiOnly: string;
let withCli: string;

async function listen(app: GatewayApp): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  gateway = await startSeededGateway({
    prefix: 'gw-trusted:',
    seed: { items: demoItems(), accounts: ACCOUNTS },
    config: { gateway: { trustedProxies: [`${PROXY}/32`] }, auth: { trustedHeaderRoutes: ['api'] } },
  });
  apiOnly = await listen(gateway.app);
  const document = structuredClone(gateway.config);
  extra = await buildApp({
    config: parseConfig({ ...document, auth: { ...document.auth, trustedHeaderRoutes: ['api', 'cli'] } }),
    redis: gateway.redis,
    nc: gateway.nc,
    log: silentLogger(),
  });
  withCli = await listen(extra);
});

afterAll(async () => {
  await extra?.close();
  await gateway?.stop();
});

const codeOf = (body: string) => (JSON.parse(body) as { code: string }).code;

describe('trusted headers, by proxy address and route group', () => {
  it('believes the headers on an API route from the configured proxy address', async () => {
    const response = await getFrom(PROXY, `${apiOnly}${API_ROUTE}`, ALICE);
    expect(response.status).toBe(200);
    const session = await getFrom(PROXY, `${apiOnly}/api/v3/session`, ALICE);
    expect(JSON.parse(session.body)).toMatchObject({ signedIn: true, user: 'alice@example.com' });
  });

  it('ignores the same headers from a second loopback address that is not a trusted proxy', async () => {
    const response = await getFrom(ELSEWHERE, `${apiOnly}${API_ROUTE}`, ALICE);
    expect(response.status).toBe(401);
    expect(codeOf(response.body)).toBe('UNAUTHENTICATED');
    const session = await getFrom(ELSEWHERE, `${apiOnly}/api/v3/session`, ALICE);
    expect(JSON.parse(session.body)).toMatchObject({ signedIn: false });
  });

  it('ignores the headers on CLI routes where only the API group is configured, even from the proxy', async () => {
    const response = await getFrom(PROXY, `${apiOnly}${CLI_ROUTE}`, ALICE);
    expect(response.status).toBe(403);
    expect(codeOf(response.body)).toBe('invalid_jwt');
  });

  it('believes them on CLI routes where the CLI group is configured, from the proxy and nowhere else', async () => {
    const fromProxy = await getFrom(PROXY, `${withCli}${CLI_ROUTE}`, ALICE);
    expect(fromProxy.status).toBe(200);
    expect(JSON.parse(fromProxy.body)).toEqual(expect.any(Array));
    const fromElsewhere = await getFrom(ELSEWHERE, `${withCli}${CLI_ROUTE}`, ALICE);
    expect(fromElsewhere.status).toBe(403);
    expect(codeOf(fromElsewhere.body)).toBe('invalid_jwt');
  });
});
