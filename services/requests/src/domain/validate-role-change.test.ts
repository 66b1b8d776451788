import type { ChangeOf } from '@rolecall/shared/contracts';
import { describe, expect, it } from 'vitest';
import type { PrincipalState, TargetState } from './target-state.js';
import { validateRequestChanges, type ValidationContext } from './validate-change.js';

const ACCOUNT = '111111111111';
const EXISTING = `arn:aws:iam::${ACCOUNT}:role/existing`;
const NEW = `arn:aws:iam::${ACCOUNT}:role/team/new-role`;
const TEAM_POLICY = `arn:aws:iam::${ACCOUNT}:policy/team`;
const OTHER_POLICY = 'arn:aws:iam::222222222222:policy/team';
const identity = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
};
const trust = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
};

const existing: PrincipalState = {
  kind: 'principal',
  arn: EXISTING,
  accountId: ACCOUNT,
  principalType: 'role',
  inlinePolicies: { read: identity },
  managedPolicies: [],
  assumeRolePolicy: trust,
  tags: {},
};
const cache = new Map<string, TargetState>([
  [EXISTING, existing],
  [
    `arn:aws:iam::${ACCOUNT}:role/RolecallSpoke`,
    { ...existing, arn: `arn:aws:iam::${ACCOUNT}:role/RolecallSpoke` },
  ],
  [
    `arn:aws:iam::${ACCOUNT}:user/alice`,
    { ...existing, arn: `arn:aws:iam::${ACCOUNT}:user/alice`, principalType: 'user' },
  ],
  [
    TEAM_POLICY,
    {
      kind: 'managed_policy',
      arn: TEAM_POLICY,
      accountId: ACCOUNT,
      awsManaged: false,
      document: identity,
      tags: {},
    },
  ],
]);
const context: ValidationContext = {
  lookup: (arn) => cache.get(arn),
  now: new Date('2030-01-01T00:00:00Z'),
  requestId: 'req-1',
  protectedRoleNames: ['RolecallSpoke'],
};

const create = (over: Partial<ChangeOf<'create_role'>> = {}): ChangeOf<'create_role'> => ({
  change_type: 'create_role',
  principal: { principal_type: 'AwsResource', principal_arn: NEW },
  assume_role_policy: { policy_document: trust },
  ...over,
});
const remove = (arn: string): ChangeOf<'delete_role'> => ({
  change_type: 'delete_role',
  principal: { principal_type: 'AwsResource', principal_arn: arn },
});
const codes = (change: ChangeOf<'create_role' | 'delete_role'>) =>
  validateRequestChanges([change], context).map((p) => p.code);
const arnOf = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;

describe('validating create_role', () => {
  it('accepts a full role spec: path, inline and managed policies, AWS and own-account, boundary, tags', () => {
    const change = create({
      description: 'Builds things',
      instance_profile: true,
      max_session_duration: 7200,
      inline_policies: [{ policy_name: 'read', policy_document: JSON.stringify(identity) }],
      managed_policy_arns: ['arn:aws:iam::aws:policy/ReadOnlyAccess', TEAM_POLICY],
      permissions_boundary_arn: TEAM_POLICY,
      tags: [{ Key: 'owner', Value: 'team-data' }],
      cloned_from: EXISTING,
    });
    expect(codes(change)).toEqual([]);
  });

  it.each([
    ['a 65-character name', arnOf('a'.repeat(65)), 'INVALID_ROLE_NAME'],
    ['a 64-character name', arnOf('a'.repeat(64)), undefined],
    ['a space in the name', arnOf('bad name'), 'INVALID_ROLE_NAME'],
    ['a character IAM refuses', arnOf('bad*name'), 'INVALID_ROLE_NAME'],
    ['a non-ASCII letter', arnOf('rôle'), 'INVALID_ROLE_NAME'],
    ['a path with an empty segment', `arn:aws:iam::${ACCOUNT}:role/a//b`, 'INVALID_ROLE_PATH'],
    ['a user ARN', `arn:aws:iam::${ACCOUNT}:user/bob`, 'INVALID_ARN'],
    ['not an ARN', 'new-role', 'INVALID_ARN'],
    ['no account', 'arn:aws:iam:::role/x', 'INVALID_ARN'],
  ])('%s: %s', (_what, arn, code) => {
    const found = codes(create({ principal: { principal_type: 'AwsResource', principal_arn: arn } }));
    if (code === undefined) expect(found).toEqual([]);
    else expect(found).toContain(code);
  });

  it('refuses a role that exists', () => {
    expect(codes(create({ principal: { principal_type: 'AwsResource', principal_arn: EXISTING } }))).toEqual([
      'ROLE_EXISTS',
    ]);
  });

  it('refuses a create without a trust policy (the request is prepared with the default before this)', () => {
    expect(codes(create({ assume_role_policy: undefined }))).toEqual(['POLICY_MISSING']);
  });

  it('refuses a trust policy that is an identity policy, or not JSON', () => {
    expect(codes(create({ assume_role_policy: { policy_document: identity } }))).not.toEqual([]);
    expect(codes(create({ assume_role_policy: { policy_document: '{"Version":' } }))).toContain(
      'POLICY_NOT_JSON',
    );
  });

  it('refuses inline policies that are malformed, named twice or too large together', () => {
    expect(
      codes(create({ inline_policies: [{ policy_name: 'bad name', policy_document: identity }] })),
    ).toContain('INVALID_POLICY_NAME');
    expect(
      codes(
        create({
          inline_policies: [
            { policy_name: 'a', policy_document: identity },
            { policy_name: 'a', policy_document: identity },
          ],
        }),
      ),
    ).toContain('DUPLICATE_POLICY_NAME');
    const big = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${'b'.repeat(6000)}/*` },
      ],
    };
    expect(
      codes(
        create({
          inline_policies: [
            { policy_name: 'a', policy_document: big },
            { policy_name: 'b', policy_document: big },
          ],
        }),
      ),
    ).toEqual(['POLICY_TOO_LARGE']);
  });

  it("refuses managed policies that are another account's, not cached, malformed or listed twice", () => {
    expect(codes(create({ managed_policy_arns: [OTHER_POLICY] }))).toEqual(['MANAGED_POLICY_OTHER_ACCOUNT']);
    expect(codes(create({ managed_policy_arns: [`arn:aws:iam::${ACCOUNT}:policy/nope`] }))).toEqual([
      'MANAGED_POLICY_NOT_FOUND',
    ]);
    expect(codes(create({ managed_policy_arns: ['ReadOnlyAccess'] }))).toEqual(['INVALID_ARN']);
    expect(codes(create({ managed_policy_arns: [TEAM_POLICY, TEAM_POLICY] }))).toEqual([
      'DUPLICATE_MANAGED_POLICY',
    ]);
    expect(codes(create({ permissions_boundary_arn: OTHER_POLICY }))).toEqual([
      'MANAGED_POLICY_OTHER_ACCOUNT',
    ]);
  });

  it("refuses AWS's reserved tags, Rolecall's own mark and a key given twice", () => {
    expect(codes(create({ tags: [{ Key: 'aws:cloudformation:stack-name', Value: 'x' }] }))).toEqual([
      'INVALID_TAG',
    ]);
    expect(codes(create({ tags: [{ Key: 'rolecall:created-by-request', Value: 'forged' }] }))).toEqual([
      'INVALID_TAG',
    ]);
    expect(
      codes(
        create({
          tags: [
            { Key: 'Owner', Value: 'a' },
            { Key: 'owner', Value: 'b' },
          ],
        }),
      ),
    ).toEqual(['INVALID_TAG']);
  });

  it('refuses a clone whose source is not a cached role', () => {
    expect(codes(create({ cloned_from: arnOf('gone') }))).toEqual(['CLONE_SOURCE_NOT_FOUND']);
    expect(codes(create({ cloned_from: `arn:aws:iam::${ACCOUNT}:user/alice` }))).toEqual([
      'CLONE_SOURCE_NOT_FOUND',
    ]);
  });

  it('refuses a clone whose source parts could not be read from AWS', () => {
    expect(codes(create({ cloned_from: EXISTING, copy_from_source: ['description'] }))).toEqual([
      'CLONE_SOURCE_UNREADABLE',
    ]);
  });

  it('refuses an expiry and a description IAM would refuse', () => {
    expect(codes(create({ expires_in: '4h' }))).toEqual(['EXPIRY_NOT_SUPPORTED']);
    expect(codes(create({ description: 'emoji 🚀' }))).toEqual(['INVALID_DESCRIPTION']);
  });

  it('refuses a role change that shares its request with other changes', () => {
    const problems = validateRequestChanges(
      [
        create(),
        {
          change_type: 'resource_tag',
          principal: { principal_type: 'AwsResource', principal_arn: NEW },
          tag_action: 'create',
          key: 'k',
          value: 'v',
        },
      ],
      context,
    );
    expect(problems.map((p) => p.code)).toContain('ROLE_CHANGE_ALONE');
  });
});

describe('validating delete_role', () => {
  it('accepts a cached role', () => {
    expect(codes(remove(EXISTING))).toEqual([]);
  });

  it('refuses a role the cache does not hold, and a user', () => {
    expect(codes(remove(arnOf('gone')))).toEqual(['ROLE_NOT_FOUND']);
    expect(codes(remove(`arn:aws:iam::${ACCOUNT}:user/alice`))).toEqual(['INVALID_ARN']);
  });

  it('refuses to delete a role Rolecall runs on, whatever the case', () => {
    expect(codes(remove(arnOf('RolecallSpoke')))).toEqual(['ROLE_PROTECTED']);
  });
});
