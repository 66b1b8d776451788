import type { CachedItem } from '@rolecall/shared/contracts';
import { silentLogger } from '@rolecall/shared/log';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import type { GatewayApp } from '../src/routes/deps.js';
import { startSeededGateway, type SeededGateway } from './support/seeded-gateway.js';
import { cachedItem } from '@rolecall/testing';
import { ACCOUNTS, USER } from './seed.js';

const prefix = 'gw-regex:';
const ROWS = 100_000;
/** Every hundredth role sits under an IAM path with a `!` (legal in paths), the one thing the filters look for. */
const BANG_EVERY = 100;

let gateway: SeededGateway | undefined;
let app: GatewayApp;
let baseUrl: string;

const items: CachedItem[] = Array.from({ length: ROWS }, (_, i) => {
  const account = ACCOUNTS[i % ACCOUNTS.length] as (typeof ACCOUNTS)[number];
  const name = `service-role-${String(i).padStart(5, '0')}`;
  const path = i % BANG_EVERY === 0 ? '/legacy!/' : `/team-${String(i % 20).padStart(2, '0')}/`;
  return cachedItem({
    arn: `arn:aws:iam::${account.id}:role${path}${name}`,
    itemType: 'iam_role',
    accountId: account.id,
    name,
  });
});
const withBang = items
  .map((i) => i.arn)
  .filter((arn) => arn.includes('!'))
  .sort();

beforeAll(async () => {
  // The default limits (chunk size, filter budget): the inventory and the patterns are the test.
  gateway = await startSeededGateway({ prefix, seed: { items, accounts: ACCOUNTS } });
  app = gateway.app;
  baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await gateway?.stop();
});

interface PoliciesBody {
  totalCount: number;
  filteredCount: number;
  data: { arn: string }[];
}

const filterArns = (pattern: string) =>
  fetch(`${baseUrl}/api/v2/policies`, {
    method: 'POST',
    headers: { ...USER, 'content-type': 'application/json' },
    body: JSON.stringify({ filters: { arn: pattern } }),
  });

/**
 * Sends healthchecks one after another (each once the previous one answered) for as long as the
 * filter requests are unanswered, and counts those answered before them. A gateway whose event loop
 * a filter holds answers none of them until that filter is done.
 */
async function probeWhile<T>(pending: Promise<T>): Promise<{ result: T; answeredFirst: number }> {
  let done = false;
  const result = pending.then((value) => {
    done = true;
    return value;
  });
  let answeredFirst = 0;
  while (!done) {
    const health = await fetch(`${baseUrl}/healthcheck`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    if (!done) answeredFirst += 1;
  }
  return { result: await result, answeredFirst };
}

async function expectBangRows(response: Response): Promise<void> {
  expect(response.status).toBe(200);
  const body = (await response.json()) as PoliciesBody;
  expect(body.totalCount).toBe(ROWS);
  expect(body.filteredCount).toBe(withBang.length);
  expect(body.data.map((row) => row.arn)).toEqual(withBang);
}

// Not a measure of speed: the scan of 100,000 rows (from the gateway's in-memory index, no Redis read
// between rows) yields every few milliseconds, so healthchecks sent one after another get turns while
// it runs; a blocked event loop gives none, or one or two around its start. At 25,000 rows the scan
// took about 100 ms, and a loaded CI machine once fit only three healthchecks into it; at 100,000 it
// takes several hundred, so a yielding loop leaves a wide margin over the threshold.
const FEWEST_ANSWERED_FIRST = 4;

describe('POST /api/v2/policies with pathological regex filters over 100,000 cached rows', () => {
  it('holds the inventory the filters scan', async () => {
    const response = await filterArns('');
    const body = (await response.json()) as PoliciesBody;
    expect(body.totalCount).toBe(ROWS);
    expect(withBang).toHaveLength(ROWS / BANG_EVERY);
  });

  it.each([
    ['.?'.repeat(18) + '!', 'eighteen optional wildcards before a `!`'],
    ['.*.*.*.*!', 'four stars before a `!`'],
  ])(
    'answers %s (%s) with the right rows while healthchecks sent meanwhile keep being answered',
    async (pattern) => {
      const { result, answeredFirst } = await probeWhile(filterArns(pattern));
      await expectBangRows(result);
      expect(answeredFirst).toBeGreaterThanOrEqual(FEWEST_ANSWERED_FIRST);
    },
  );

  it('answers both pathological filters sent at once, and the healthchecks sent meanwhile first', async () => {
    const { result, answeredFirst } = await probeWhile(
      Promise.all([filterArns('.?'.repeat(18) + '!'), filterArns('.*.*.*.*!')]),
    );
    for (const response of result) await expectBangRows(response);
    expect(answeredFirst).toBeGreaterThanOrEqual(FEWEST_ANSWERED_FIRST);
  });

  it('refuses back-references and lookarounds as VALIDATION_FAILED, naming the field', async () => {
    for (const pattern of ['(a)\\1', 'role(?=/)', '(?<=role/)x']) {
      const response = await filterArns(pattern);
      expect(response.status).toBe(400);
      const body = (await response.json()) as { code: string; message: string };
      expect({ pattern, code: body.code }).toEqual({ pattern, code: 'VALIDATION_FAILED' });
      expect(body.message).toMatch(/^filter arn: .*not supported/);
    }
  });

  it('refuses a scan that outlives the filter budget, which the limits configure', async () => {
    const { config, redis, nc } = gateway!;
    const limited = await buildApp({ config, redis, nc, log: silentLogger(), limits: { filterBudgetMs: 0 } });
    try {
      const response = await limited.inject({
        method: 'POST',
        url: '/api/v2/policies',
        headers: USER,
        payload: { filters: { arn: 'legacy!' } },
      });
      expect(response.statusCode).toBe(400);
      expect(response.json<{ code: string }>().code).toBe('VALIDATION_FAILED');
      expect(response.body).toMatch(/filters are too costly/);
    } finally {
      await limited.close();
    }
  });
});
