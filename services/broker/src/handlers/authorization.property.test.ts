import fc from 'fast-check';
import type { DynamicConfigDocument } from '@rolecall/shared/dynamic-config';
import { silentLogger } from '@rolecall/shared/log';
import { describe, expect, it } from 'vitest';
import {
  createFakeIssuer,
  createFakeSink,
  createInMemoryIssuanceReader,
  createInMemoryMapping,
  DEFAULT_SETTINGS,
  fakeSignin,
  ISSUE_SETTINGS,
  LOGIN_SETTINGS,
} from '../../test/fakes.js';
import type { RoleFacts } from '../domain/roles.js';
import { createAuditRecorder } from './audit-recorder.js';
import { createConsoleLoginHandler } from './console-login.js';
import { createIssueCredentialsHandler } from './issue-credentials.js';

const CONSOLE_TAG = 'consoleme-authorized';
const CLI_TAG = 'consoleme-authorized-cli-only';
const ACCOUNTS = ['111111111111', '222222222222'];
const NAMES = ['admin', 'Admin-Ops', 'readonly', 'data', 'data-analyst', 'ci', 'support'];
const PEOPLE = ['alice@example.com', 'Bob@Example.com', 'carol@example.com'];
const GROUPS = ['eng', 'ENG', 'data', 'admins', 'Payments'];

/**
 * The oracle: the rules restated as plainly as possible, sharing no code with the broker. A user may
 * use a role on a channel iff the user or one of their groups (compared lower-case) is named in a
 * console tag value or the group mapping's roles, or — for the CLI only — in a cli-only tag value or
 * cli_only_roles.
 */
function oracleMayUse(
  roles: RoleFacts[],
  config: DynamicConfigDocument,
  caller: { user: string; groups: string[] },
  arn: string,
  channel: 'cli' | 'console',
): boolean {
  const me = [caller.user, ...caller.groups].map((x) => x.trim().toLowerCase());
  const named = (value: string | undefined) =>
    value !== undefined && value.split(':').some((part) => me.includes(part.trim().toLowerCase()));
  for (const r of roles) {
    if (r.arn.toLowerCase() !== arn.toLowerCase()) continue;
    if (named(r.tags[CONSOLE_TAG])) return true;
    if (channel === 'cli' && named(r.tags[CLI_TAG])) return true;
  }
  for (const [who, entry] of Object.entries(config.group_mapping ?? {})) {
    if (!me.includes(who.trim().toLowerCase())) continue;
    if ((entry.roles ?? []).some((a) => a.toLowerCase() === arn.toLowerCase())) return true;
    if (channel === 'cli' && (entry.cli_only_roles ?? []).some((a) => a.toLowerCase() === arn.toLowerCase()))
      return true;
  }
  return false;
}

const identity = fc.constantFrom(...PEOPLE, ...GROUPS);
const tagValue = fc
  .array(fc.oneof(identity, fc.constantFrom(' eng ', 'nobody', '')), { minLength: 0, maxLength: 4 })
  .map((parts) => parts.join(':'));
const roleArb = fc.record({
  account: fc.constantFrom(...ACCOUNTS),
  name: fc.constantFrom(...NAMES),
  console: fc.option(tagValue, { nil: undefined }),
  cli: fc.option(tagValue, { nil: undefined }),
});
const world = fc
  .record({
    roles: fc.uniqueArray(roleArb, {
      selector: (r) => `${r.account}/${r.name.toLowerCase()}`,
      maxLength: 10,
    }),
    mapping: fc.array(
      fc.record({
        who: identity,
        roles: fc.array(fc.nat(20), { maxLength: 3 }),
        cli: fc.array(fc.nat(20), { maxLength: 3 }),
      }),
      { maxLength: 4 },
    ),
  })
  .map(({ roles, mapping }) => {
    const facts: RoleFacts[] = roles.map((r) => ({
      arn: `arn:aws:iam::${r.account}:role/${r.name}`,
      accountId: r.account,
      name: r.name,
      tags: {
        ...(r.console !== undefined ? { [CONSOLE_TAG]: r.console } : {}),
        ...(r.cli !== undefined ? { [CLI_TAG]: r.cli } : {}),
      },
      trustPolicy: {},
    }));
    // Mapping entries point at cached roles (by index) and, sometimes, at roles missing from the cache.
    const arnAt = (i: number) => facts[i]?.arn ?? `arn:aws:iam::${ACCOUNTS[i % 2]}:role/uncached-${i}`;
    const config: DynamicConfigDocument = { group_mapping: {} };
    for (const entry of mapping) {
      const existing = config.group_mapping![entry.who] ?? {};
      config.group_mapping![entry.who] = {
        roles: [...(existing.roles ?? []), ...entry.roles.map(arnAt)],
        cli_only_roles: [...(existing.cli_only_roles ?? []), ...entry.cli.map(arnAt)],
      };
    }
    return { roles: facts, config };
  });

const caller = fc.record({
  user: fc.constantFrom(...PEOPLE, 'ALICE@example.com'),
  groups: fc.subarray(GROUPS),
});
const query = fc.oneof(
  fc.constantFrom(...NAMES, 'ADMIN', 'data', '111111111111', 'role/', 'uncached-3', 'zzz'),
  fc
    .tuple(fc.constantFrom(...ACCOUNTS), fc.constantFrom(...NAMES))
    .map(([a, n]) => `arn:aws:iam::${a}:role/${n}`),
  fc
    .tuple(fc.constantFrom(...ACCOUNTS), fc.constantFrom(...NAMES))
    .map(([a, n]) => `ARN:AWS:IAM::${a}:ROLE/${n.toUpperCase()}`),
);

describe('authorization property', () => {
  it('never issues credentials or a console sign-in for a role the oracle refuses (1,000+ cases)', async () => {
    let issued = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(
        world,
        caller,
        query,
        fc.constantFrom('cli' as const, 'console' as const),
        async (w, who, q, channel) => {
          const mapping = createInMemoryMapping(w.roles, w.config, DEFAULT_SETTINGS);
          const issuer = createFakeIssuer();
          const audit = createAuditRecorder({
            sinks: [createFakeSink()],
            log: silentLogger(),
            lowercaseIdentities: true,
          });
          const context = { sourceIp: '127.0.0.1', userAgent: 'test', requestId: 'r' };
          const reply =
            channel === 'cli'
              ? await createIssueCredentialsHandler({
                  mapping,
                  reads: createInMemoryIssuanceReader(mapping),
                  issuer,
                  audit,
                  settings: ISSUE_SETTINGS,
                  log: silentLogger(),
                })({ caller: who, requestedRole: q, channel, context })
              : await createConsoleLoginHandler({
                  mapping,
                  issuer,
                  signin: fakeSignin(),
                  audit,
                  settings: LOGIN_SETTINGS,
                  log: silentLogger(),
                })({ caller: who, roleQuery: q, context });
          for (const call of issuer.calls) {
            expect(oracleMayUse(w.roles, w.config, who, call.roleArn, channel)).toBe(true);
          }
          if (reply.outcome === 'refused') {
            refused += 1;
            expect(issuer.calls).toHaveLength(0);
            // An exact ARN the oracle allows must never be refused.
            const exact =
              q.toLowerCase().startsWith('arn:') && oracleMayUse(w.roles, w.config, who, q, channel);
            expect(exact).toBe(false);
          } else {
            issued += 1;
            expect(issuer.calls).toHaveLength(1);
            expect(oracleMayUse(w.roles, w.config, who, reply.roleArn, channel)).toBe(true);
          }
        },
      ),
      { numRuns: 1500 },
    );
    // The generators must exercise both outcomes, or the property proves little.
    expect(issued).toBeGreaterThan(50);
    expect(refused).toBeGreaterThan(50);
  });
});
