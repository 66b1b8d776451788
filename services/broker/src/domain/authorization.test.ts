import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, role } from '../../test/fakes.js';
import {
  buildMapping,
  callerIdentities,
  eligibleFromGrants,
  grantsOfConfig,
  grantsOfRole,
  trustPolicyAllows,
} from './authorization.js';

const A = '222222222222';
const HUB = 'arn:aws:iam::111111111111:role/RolecallHub';
const trust = (...statements: unknown[]) => ({ Version: '2012-10-17', Statement: statements });
const allowHub = { Effect: 'Allow', Principal: { AWS: HUB }, Action: 'sts:AssumeRole' };

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

  it('grants nothing when the trust policy does not trust the required entity', () => {
    const settings = { ...DEFAULT_SETTINGS, requiredTrustPolicyEntity: HUB };
    const trusted = role(A, 'ok', { 'consoleme-authorized': 'x' }, { trustPolicy: trust(allowHub) });
    const untrusted = role(A, 'no', { 'consoleme-authorized': 'x' }, { trustPolicy: { Statement: [] } });
    expect(grantsOfRole(trusted, settings).size).toBe(1);
    expect(grantsOfRole(untrusted, settings).size).toBe(0);
    expect(grantsOfRole(untrusted, DEFAULT_SETTINGS).size).toBe(1);
  });
});

describe('trustPolicyAllows (broker.requiredTrustPolicyEntity)', () => {
  const allows = (trustPolicy: unknown, entity = HUB) =>
    trustPolicyAllows(role(A, 'r', {}, { trustPolicy }), {
      ...DEFAULT_SETTINGS,
      requiredTrustPolicyEntity: entity,
    });
  const cases: [label: string, trustPolicy: unknown, expected: boolean][] = [
    ['an Allow of sts:AssumeRole to the entity', trust(allowHub), true],
    ['a single statement object, not a list', { Statement: allowHub }, true],
    [
      'the entity among a list of principals',
      trust({ ...allowHub, Principal: { AWS: ['arn:aws:iam::999999999999:root', HUB] } }),
      true,
    ],
    ['actions as a list', trust({ ...allowHub, Action: ['sts:TagSession', 'sts:AssumeRole'] }), true],
    ['action names in another case', trust({ ...allowHub, Action: 'STS:assumerole' }), true],
    ['the ARN in another case', trust({ ...allowHub, Principal: { AWS: HUB.toLowerCase() } }), true],
    ['an Allow of sts:*', trust({ ...allowHub, Action: 'sts:*' }), true],
    ['an Allow of *', trust({ ...allowHub, Action: '*' }), true],
    ['an Allow of sts:Assume*', trust({ ...allowHub, Action: 'sts:Assume*' }), true],
    // A condition (external id, source IP, MFA…) restricts a trust in the hub; it is still an opt-in to it,
    // and whether Rolecall meets it is STS's answer at AssumeRole time.
    [
      'an Allow with a Condition',
      trust({ ...allowHub, Condition: { StringEquals: { 'sts:ExternalId': 'x' } } }),
      true,
    ],
    [
      'a conditional Deny beside the Allow',
      trust(allowHub, {
        ...allowHub,
        Effect: 'Deny',
        Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'false' } },
      }),
      true,
    ],
    ['the JSON text of the document', JSON.stringify(trust(allowHub)), true],
    ['the URL-encoded JSON IAM returns', encodeURIComponent(JSON.stringify(trust(allowHub))), true],
    ['a Deny of the entity only', trust({ ...allowHub, Effect: 'Deny' }), false],
    [
      'an Allow vetoed by an unconditional Deny of the entity',
      trust(allowHub, { ...allowHub, Effect: 'Deny' }),
      false,
    ],
    [
      'an Allow vetoed by an unconditional Deny of everyone',
      trust(allowHub, { ...allowHub, Effect: 'Deny', Principal: '*' }),
      false,
    ],
    [
      'NotPrincipal naming the entity',
      trust({ Effect: 'Allow', NotPrincipal: { AWS: HUB }, Action: 'sts:AssumeRole' }),
      false,
    ],
    ['NotAction', trust({ Effect: 'Allow', Principal: { AWS: HUB }, NotAction: 'sts:TagSession' }), false],
    ['Principal "*"', trust({ ...allowHub, Principal: '*' }), false],
    ['Principal {"AWS": "*"}', trust({ ...allowHub, Principal: { AWS: '*' } }), false],
    ['a longer ARN containing the entity', trust({ ...allowHub, Principal: { AWS: `${HUB}-old` } }), false],
    [
      'the entity on a path',
      trust({ ...allowHub, Principal: { AWS: 'arn:aws:iam::111111111111:role/ops/RolecallHub' } }),
      false,
    ],
    [
      "the root of the entity's account",
      trust({ ...allowHub, Principal: { AWS: 'arn:aws:iam::111111111111:root' } }),
      false,
    ],
    [
      'the entity in a Condition only',
      trust({
        ...allowHub,
        Principal: { AWS: 'arn:aws:iam::999999999999:root' },
        Condition: { ArnEquals: { 'aws:PrincipalArn': HUB } },
      }),
      false,
    ],
    ['the entity as a service principal', trust({ ...allowHub, Principal: { Service: HUB } }), false],
    ['another action for the entity', trust({ ...allowHub, Action: 'sts:AssumeRoleWithWebIdentity' }), false],
    ['an Effect other than Allow', trust({ ...allowHub, Effect: 'allow' }), false],
    ['no document', undefined, false],
    ['null', null, false],
    ['an empty document', {}, false],
    ['text that is not JSON', '{"Statement": [', false],
    ['a list, not a document', [allowHub], false],
    ['statements that are not objects', trust('allow', 42, null), false],
  ];
  for (const [label, trustPolicy, expected] of cases) {
    it(`${expected ? 'counts' : 'does not count'} ${label}`, () => {
      expect(allows(trustPolicy)).toBe(expected);
    });
  }

  it('treats an account entity and its root ARN as one principal, and not as the roles in it', () => {
    const principal = (AWS: string) => trust({ ...allowHub, Principal: { AWS } });
    const root = 'arn:aws:iam::111111111111:root';
    expect([
      allows(principal(root), '111111111111'),
      allows(principal('111111111111'), root),
      allows(principal(root), root),
      allows(principal(HUB), '111111111111'),
      allows(principal('arn:aws:iam::222222222222:root'), '111111111111'),
    ]).toEqual([true, true, true, false, false]);
  });

  it('asks nothing of the trust policy when no entity is required', () => {
    expect(trustPolicyAllows(role(A, 'r', {}, { trustPolicy: undefined }), DEFAULT_SETTINGS)).toBe(true);
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
