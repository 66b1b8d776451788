import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, role } from '../../test/fakes.js';
import {
  buildMapping,
  callerIdentities,
  eligibleFromGrants,
  grantsOfConfig,
  grantsOfRole,
} from './authorization.js';

const A = '222222222222';

describe('grantsOfRole', () => {
  it('splits colon-separated users and groups and lower-cases them', () => {
    const grants = grantsOfRole(
      role(A, 'support', { 'consoleme-authorized': 'Engineering: alice@Example.com', owner: 'x' }),
      DEFAULT_SETTINGS,
    );
    expect(Object.fromEntries(grants)).toEqual({ engineering: 'console', 'alice@example.com': 'console' });
  });

  it('keeps case when identities are case-sensitive', () => {
    const grants = grantsOfRole(role(A, 'r', { 'consoleme-authorized': 'Eng' }), {
      ...DEFAULT_SETTINGS,
      lowercaseIdentities: false,
    });
    expect([...grants.keys()]).toEqual(['Eng']);
  });

  it('grants cli-only from the cli-only tag, and console wins when both tags name an identity', () => {
    const grants = grantsOfRole(
      role(A, 'r', {
        'consoleme-authorized': 'data',
        'consoleme-authorized-cli-only': 'data:bob@example.com',
      }),
      DEFAULT_SETTINGS,
    );
    expect(Object.fromEntries(grants)).toEqual({ data: 'console', 'bob@example.com': 'cli' });
  });

  it('uses the configured tag keys only', () => {
    const settings = { ...DEFAULT_SETTINGS, authorizedTags: ['team-access'], authorizedCliOnlyTags: [] };
    expect(grantsOfRole(role(A, 'r', { 'consoleme-authorized': 'x' }), settings).size).toBe(0);
    expect([...grantsOfRole(role(A, 'r', { 'team-access': 'x' }), settings).keys()]).toEqual(['x']);
  });

  it('grants nothing when the trust policy does not mention the required entity', () => {
    const settings = {
      ...DEFAULT_SETTINGS,
      requiredTrustPolicyEntity: 'arn:aws:iam::111111111111:role/RolecallHub',
    };
    const trusted = role(A, 'ok', { 'consoleme-authorized': 'x' });
    const untrusted = role(A, 'no', { 'consoleme-authorized': 'x' }, { trustPolicy: { Statement: [] } });
    expect(grantsOfRole(trusted, settings).size).toBe(1);
    expect(grantsOfRole(untrusted, settings).size).toBe(0);
  });
});

describe('grantsOfConfig', () => {
  it('maps group_mapping roles and cli_only_roles per normalized identity', () => {
    const arn = `arn:aws:iam::${A}:role/x`;
    const cli = `arn:aws:iam::${A}:role/y`;
    const grants = grantsOfConfig(
      { group_mapping: { Payments: { roles: [arn], cli_only_roles: [cli, arn] } } },
      DEFAULT_SETTINGS,
    );
    expect(Object.fromEntries(grants.get('payments') ?? [])).toEqual({ [arn]: 'console', [cli]: 'cli' });
  });
});

describe('eligible roles', () => {
  const roles = [
    role(A, 'both', { 'consoleme-authorized': 'eng' }),
    role(A, 'cli', { 'consoleme-authorized-cli-only': 'eng' }),
    role(A, 'user', { 'consoleme-authorized': 'alice@example.com' }),
    role(A, 'other', { 'consoleme-authorized': 'data' }),
  ];
  const mapping = buildMapping(
    roles,
    { group_mapping: { eng: { roles: [`arn:aws:iam::${A}:role/cli`] } } },
    DEFAULT_SETTINGS,
  );
  const eligible = (channel: 'cli' | 'console') => {
    const ids = callerIdentities({ user: 'Alice@example.com', groups: ['ENG'] }, DEFAULT_SETTINGS);
    const entries = ids.map((i) => mapping.get(i)).filter((e) => e !== undefined);
    return eligibleFromGrants(
      entries.flatMap((e) => [...e.roles]),
      entries.flatMap((e) => [...e.cliOnlyRoles]),
      channel,
    );
  };

  it('is the union over the user and their groups, and console excludes cli-only grants', () => {
    expect(eligible('console').map((g) => g.arn.split('/')[1])).toEqual(['both', 'cli', 'user']);
    // 'cli' is console-eligible because the group mapping also grants it for the console.
  });

  it('includes cli-only grants for the CLI and marks them', () => {
    const onlyTags = buildMapping(roles, {}, DEFAULT_SETTINGS);
    const entries = ['eng'].map((i) => onlyTags.get(i)).filter((e) => e !== undefined);
    const cli = eligibleFromGrants(
      entries.flatMap((e) => [...e.roles]),
      entries.flatMap((e) => [...e.cliOnlyRoles]),
      'cli',
    );
    const console = eligibleFromGrants(
      entries.flatMap((e) => [...e.roles]),
      [],
      'console',
    );
    expect(cli).toEqual([
      { arn: `arn:aws:iam::${A}:role/both`, cliOnly: false },
      { arn: `arn:aws:iam::${A}:role/cli`, cliOnly: true },
    ]);
    expect(console.map((g) => g.arn)).toEqual([`arn:aws:iam::${A}:role/both`]);
    expect(eligible('cli').some((g) => g.arn.endsWith('/other'))).toBe(false);
  });
});
