import type { ChangeModel, ChangeOf } from '@rolecall/shared/contracts';
import { describe, expect, it } from 'vitest';
import type { PrincipalState, TargetState } from './target-state.js';
import { validateChange, validateRequestChanges, type ValidationContext } from './validate-change.js';

const ROLE = 'arn:aws:iam::111111111111:role/app';
const USER = 'arn:aws:iam::111111111111:user/alice';
const POLICY = 'arn:aws:iam::111111111111:policy/team';
const BUCKET = 'arn:aws:s3:::data';
const principal = { principal_type: 'AwsResource' as const, principal_arn: ROLE };
const doc = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
};

const role: PrincipalState = {
  kind: 'principal',
  arn: ROLE,
  accountId: '111111111111',
  principalType: 'role',
  inlinePolicies: { existing: doc },
  managedPolicies: ['arn:aws:iam::aws:policy/ReadOnlyAccess'],
  permissionsBoundary: POLICY,
  assumeRolePolicy: { Version: '2012-10-17', Statement: [] },
  tags: { owner: 'team-data' },
};
const cache = new Map<string, TargetState>([
  [ROLE, role],
  [USER, { ...role, arn: USER, principalType: 'user', assumeRolePolicy: undefined }],
  [
    POLICY,
    {
      kind: 'managed_policy',
      arn: POLICY,
      accountId: '111111111111',
      awsManaged: false,
      document: doc,
      tags: {},
    },
  ],
  [
    BUCKET,
    {
      kind: 'resource',
      arn: BUCKET,
      accountId: '222222222222',
      resourceType: 's3_bucket',
      policy: null,
      tags: {},
    },
  ],
]);
const context: ValidationContext = {
  lookup: (arn) => cache.get(arn),
  now: new Date('2030-01-01T00:00:00Z'),
  requestId: 'req-1',
};
const codes = (change: ChangeModel) => validateChange(change, 0, context).map((p) => p.code);
const attach = (name: string, document: unknown = doc): ChangeOf<'inline_policy'> => ({
  principal,
  change_type: 'inline_policy',
  action: 'attach',
  policy_name: name,
  policy: { policy_document: document as Record<string, unknown> },
});

describe('validateChange', () => {
  it('accepts a new inline policy on a cached role', () => {
    expect(codes(attach('new-one'))).toEqual([]);
  });

  it.each<[string, ChangeModel, string[]]>([
    [
      'a principal not in the cache',
      { ...attach('x'), principal: { ...principal, principal_arn: 'arn:aws:iam::111111111111:role/gone' } },
      ['PRINCIPAL_NOT_FOUND'],
    ],
    [
      'a malformed principal ARN',
      { ...attach('x'), principal: { ...principal, principal_arn: 'arn:aws:iam:::role/app' } },
      ['INVALID_ARN'],
    ],
    [
      'a managed policy ARN that names no policy',
      { principal, change_type: 'managed_policy', action: 'attach', arn: 'arn:aws:s3:::x' },
      ['INVALID_ARN'],
    ],
    ['an inline policy that exists', attach('existing'), ['INLINE_POLICY_EXISTS']],
    ['an update of a missing policy', { ...attach('missing'), new: false }, ['INLINE_POLICY_NOT_FOUND']],
    [
      'a detach of a missing policy',
      { principal, change_type: 'inline_policy', action: 'detach', policy_name: 'missing' },
      ['INLINE_POLICY_NOT_FOUND'],
    ],
    ['a bad policy name', attach('has space'), ['INVALID_POLICY_NAME']],
    ['a document that is not JSON', attach('x', '{nope'), ['POLICY_NOT_JSON']],
    ['a document without Statement', attach('x', { Version: '2012-10-17' }), ['POLICY_INVALID']],
    [
      'a detach of a policy not attached',
      { principal, change_type: 'managed_policy', action: 'detach', arn: 'arn:aws:iam::aws:policy/Admin' },
      ['MANAGED_POLICY_NOT_ATTACHED'],
    ],
    [
      'an attach of a policy already attached',
      {
        principal,
        change_type: 'managed_policy',
        action: 'attach',
        arn: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
      },
      ['MANAGED_POLICY_ALREADY_ATTACHED'],
    ],
    [
      'an attach of an unknown customer policy',
      {
        principal,
        change_type: 'managed_policy',
        action: 'attach',
        arn: 'arn:aws:iam::111111111111:policy/nope',
      },
      ['MANAGED_POLICY_NOT_FOUND'],
    ],
    [
      'a boundary detach of another boundary',
      {
        principal,
        change_type: 'permissions_boundary',
        action: 'detach',
        arn: 'arn:aws:iam::aws:policy/Other',
      },
      ['BOUNDARY_NOT_ATTACHED'],
    ],
    [
      'the boundary already set',
      { principal, change_type: 'permissions_boundary', action: 'attach', arn: POLICY },
      ['NO_CHANGE'],
    ],
    [
      'a trust policy on a user',
      {
        principal: { ...principal, principal_arn: USER },
        change_type: 'assume_role_policy',
        policy: {
          policy_document: {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Principal: { AWS: ROLE }, Action: 'sts:AssumeRole' }],
          },
        },
      },
      ['PRINCIPAL_NOT_SUPPORTED'],
    ],
    [
      'a tag that exists',
      { principal, change_type: 'resource_tag', tag_action: 'create', key: 'owner', value: 'x' },
      ['TAG_EXISTS'],
    ],
    [
      'a tag to delete that is not there',
      { principal, change_type: 'resource_tag', tag_action: 'delete', key: 'nope' },
      ['TAG_NOT_FOUND'],
    ],
    [
      'a tag without a value',
      { principal, change_type: 'resource_tag', tag_action: 'create', key: 'new' },
      ['TAG_VALUE_REQUIRED'],
    ],
    [
      'a resource policy on an object path',
      {
        principal,
        change_type: 'resource_policy',
        arn: 'arn:aws:s3:::data/*',
        policy: { policy_document: doc },
      },
      ['INVALID_ARN'],
    ],
    [
      'an identity document as a bucket policy',
      { principal, change_type: 'resource_policy', arn: BUCKET, policy: { policy_document: doc } },
      ['POLICY_INVALID'],
    ],
    [
      'a new managed policy that exists',
      {
        principal: { ...principal, principal_arn: POLICY },
        change_type: 'managed_policy_resource',
        policy: { policy_document: doc },
      },
      ['MANAGED_POLICY_EXISTS'],
    ],
    [
      'an expiry in the past',
      { ...attach('x'), expiration_date: '2029-12-31T00:00:00Z' },
      ['EXPIRY_IN_PAST'],
    ],
    [
      'an expiry on a detach',
      {
        principal,
        change_type: 'managed_policy',
        action: 'detach',
        arn: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
        expires_in: '1h',
      },
      ['EXPIRY_NOT_SUPPORTED'],
    ],
    [
      'an unchanged policy update',
      { ...attach('existing'), new: false, old_policy: { policy_document: doc } },
      ['NO_CHANGE'],
    ],
  ])('refuses %s', (_what, change, expected) => {
    expect(codes(change)).toEqual(expected);
  });

  it("refuses a document over IAM's size for a role's inline policy, and says the numbers", () => {
    const big = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 's3:GetObject',
          Resource: Array.from({ length: 400 }, (_, i) => `arn:aws:s3:::bucket-${i}/*`),
        },
      ],
    };
    const [problem] = validateChange(attach('big', big), 3, context);
    expect(problem).toMatchObject({ code: 'POLICY_TOO_LARGE', change_index: 3 });
    expect(problem?.message).toMatch(/has \d+ characters .* at most 10240/);
  });

  it('allows a user only the smaller inline size', () => {
    const medium = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 's3:GetObject',
          Resource: Array.from({ length: 100 }, (_, i) => `arn:aws:s3:::bucket-${i}/*`),
        },
      ],
    };
    expect(codes(attach('m', medium))).toEqual([]);
    expect(codes({ ...attach('m', medium), principal: { ...principal, principal_arn: USER } })).toEqual([
      'POLICY_TOO_LARGE',
    ]);
  });
});

describe('validateRequestChanges', () => {
  it('refuses two principals, two trust changes and a managed policy change with company', () => {
    const trust: ChangeModel = {
      principal,
      change_type: 'assume_role_policy',
      policy: {
        policy_document: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { AWS: USER }, Action: 'sts:AssumeRole' }],
        },
      },
    };
    const other = { ...attach('a'), principal: { ...principal, principal_arn: USER } };
    const managed: ChangeModel = {
      principal: { ...principal, principal_arn: POLICY },
      change_type: 'managed_policy_resource',
      new: false,
      policy: { policy_document: { ...doc, Statement: [] } },
    };
    const result = validateRequestChanges([attach('a'), other, trust, trust, managed], context).filter(
      (p) => p.change_index === undefined,
    );
    expect(result.map((p) => p.code)).toEqual([
      'MULTIPLE_PRINCIPALS',
      'TOO_MANY_TRUST_CHANGES',
      'MANAGED_POLICY_RESOURCE_ALONE',
    ]);
  });

  it('reports the problems of each change with its index', () => {
    const result = validateRequestChanges([attach('fine'), attach('existing')], context);
    expect(result).toEqual([expect.objectContaining({ code: 'INLINE_POLICY_EXISTS', change_index: 1 })]);
  });
});
