import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USERS, seedDemoOrganization, type DemoAccount } from '@rolecall/testing';
import { refresh, waitForCrawl } from './support/crawls.js';
import { crawledDictionaries } from './support/fuzz-dictionaries.js';
import {
  failureReport,
  findSchemathesis,
  runSchemathesis,
  type FuzzDictionary,
  type SchemathesisPhase,
} from './support/schemathesis.js';
import { ALL_SERVICES, startStack, type Stack } from './support/stack.js';

/**
 * Fixed, so a failure found here is found again by the same command (`st run … --seed`) and by the next
 * run of this test. Change it only together with a look at what the new cases find.
 */
const SEED = 20_251_202;
/**
 * Bounds of one run, a few hundred cases per identity: cases per operation in the fuzzing phase, one
 * request at a time (in a fixed order, so a run is repeatable), and a per-request limit above the
 * gateway's own 15 s broker timeout, so a slow dependency shows as the gateway's 504 rather than as a
 * client timeout. The coverage phase (every parameter at and past each bound, ~1,000 more cases and
 * ~30 s per identity) is left to deeper runs: ROLECALL_FUZZ_PHASES=examples,coverage,fuzzing,stateful
 * and ROLECALL_FUZZ_MAX_EXAMPLES=100 run the same test harder.
 */
const MAX_EXAMPLES = Number(process.env.ROLECALL_FUZZ_MAX_EXAMPLES ?? 12);
const PHASES = (process.env.ROLECALL_FUZZ_PHASES ?? 'examples,fuzzing,stateful').split(
  ',',
) as SchemathesisPhase[];
const WORKERS = 1;
const REQUEST_TIMEOUT_SECONDS = 20;
const DEEPER =
  process.env.ROLECALL_FUZZ_PHASES !== undefined || process.env.ROLECALL_FUZZ_MAX_EXAMPLES !== undefined;
const RUN_TIMEOUT_MS = DEEPER ? 900_000 : 120_000;
/** What must hold for every response: no 5xx, and a body that matches the schema of its documented status. */
const CHECKS = ['not_a_server_error', 'response_schema_conformance'] as const;

/** Who the cases are sent as: everything an admin may reach, and what a user without roles is told. */
const IDENTITIES = [
  { label: 'an admin', user: 'admin@example.com', groups: ['admins'] },
  { label: 'a user no role is granted to', user: 'carol@example.com', groups: ['contractors'] },
];

describe('every operation of the OpenAPI document, fuzzed by schemathesis against the running services', () => {
  let stack: Stack;
  let accounts: DemoAccount[];
  let operationCount: number;
  let dictionaries: Record<string, FuzzDictionary>;

  beforeAll(async () => {
    if (!existsSync(findSchemathesis()))
      throw new Error('schemathesis is not installed: run scripts/install-system-deps.sh');
    stack = await startStack({
      services: [],
      config: {
        // Errors only: the gateway's output keeps its last 200 kB, and the run's request lines would push
        // out the errors a failure report shows.
        log: { level: 'warn' },
        // The CLI routes (get_credentials, get_roles, audit) believe the same headers as the web routes, so
        // the fuzzer reaches their handlers instead of stopping at the JWT check.
        auth: { cliAcceptsTrustedHeaders: true },
        // One run asks for credentials and challenges hundreds of times a minute; at the real limits most
        // of those would be 429s (documented, but they would hide the routes behind them).
        gateway: { rateLimit: { credentialsPerMinute: 100_000, challengesPerMinute: 100_000 } },
      },
    });
    const org = await seedDemoOrganization({ endpointUrl: stack.env.moto.url, region: 'us-east-1' });
    accounts = org.accounts;
    // Console sign-in (role_login) goes to the gateway's federation stand-in, itself part of the document.
    await stack.updateConfig({
      demo: { federationStandIn: true },
      broker: { federationUrl: `${stack.gatewayUrl}/demo/federation` },
    });
    for (const name of ALL_SERVICES) await stack.start(name);
    const requestedAt = new Date().toISOString();
    await waitForCrawl(stack, await refresh(stack), requestedAt);

    const document = (await (await fetch(`${stack.gatewayUrl}/docs/json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    operationCount = Object.values(document.paths).reduce((n, methods) => n + Object.keys(methods).length, 0);
    dictionaries = await crawledDictionaries(stack, accounts);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('has the demo organization crawled and a user with no role to fuzz as', async () => {
    expect(operationCount).toBeGreaterThanOrEqual(25);
    expect(dictionaries.roleArns!.values.length).toBeGreaterThanOrEqual(15 * accounts.length);
    const carol = DEMO_USERS.find((u) => u.email === 'carol@example.com')!;
    const roles = await stack.api('/api/v2/roles', { user: carol.email, groups: [...carol.groups] });
    expect(await roles.json()).toEqual({ eligible_roles: [] });
  });

  for (const identity of IDENTITIES) {
    it(
      `answers every operation called as ${identity.label} without a 5xx or a body outside its documented schema`,
      async () => {
        const since = new Date().toISOString();
        const result = await runSchemathesis({
          schemaUrl: `${stack.gatewayUrl}/docs/json`,
          headers: { 'X-Forwarded-Email': identity.user, 'X-Forwarded-Groups': identity.groups.join(',') },
          seed: SEED,
          maxExamples: MAX_EXAMPLES,
          phases: PHASES,
          checks: CHECKS,
          workers: WORKERS,
          requestTimeoutSeconds: REQUEST_TIMEOUT_SECONDS,
          dictionaries,
          timeoutMs: RUN_TIMEOUT_MS,
        });
        const explain = () =>
          [
            `st run as ${identity.user} exited ${result.code}${result.timedOut ? ' (killed: took too long)' : ''} ` +
              `after ${Math.round(result.durationMs / 1000)} s`,
            failureReport(result.output),
            'gateway errors during the run:',
            gatewayErrors(stack, since),
          ].join('\n\n');

        expect(result.code, explain()).toBe(0);
        const report = result.report!;
        expect(report.failures, explain()).toEqual([]);
        expect(report.errors, explain()).toEqual([]);
        expect(report.operations).toMatchObject({
          selected: operationCount,
          tested: operationCount,
          errored: 0,
        });
        expect(report.test_cases.generated).toBeGreaterThanOrEqual(operationCount * 3);
      },
      RUN_TIMEOUT_MS + 10_000,
    );
  }
});

/** The gateway's error-level log lines written since `since` (an ISO time, as its log lines carry). */
function gatewayErrors(stack: Stack, since: string): string {
  const gateway = stack.services.find((s) => s.name === 'gateway')!;
  const lines = gateway
    .output()
    .split('\n')
    .filter((line) => /"level":(50|60)/.test(line) && (/"time":"([^"]+)"/.exec(line)?.[1] ?? '') >= since);
  return lines.length === 0
    ? '(none)'
    : lines
        .slice(0, 20)
        .map((l) => l.slice(0, 3_000))
        .join('\n');
}
