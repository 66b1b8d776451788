import type { CachedRole, CachedS3Bucket } from '@rolecall/shared/contracts';
import { describe, expect, it } from 'vitest';
import { stateOfItem, targetArnOf } from './target-state.js';

const freshness = {
  firstSeenAt: '2030-01-01T00:00:00Z',
  lastSeenAt: '2030-01-01T00:00:00Z',
  lastCrawlId: 'c',
  lastJobId: 'j',
  contentHash: 'h',
};
const trust = { Version: '2012-10-17', Statement: [] };

describe('stateOfItem', () => {
  it("reads a cached role's policies, attachments, boundary, trust policy and tags", () => {
    const role: CachedRole = {
      ...freshness,
      arn: 'arn:aws:iam::111111111111:role/app',
      itemType: 'iam_role',
      accountId: '111111111111',
      region: 'global',
      name: 'app',
      tags: { owner: 'team' },
      details: {
        path: '/',
        roleId: 'AROA',
        assumeRolePolicyDocument: trust,
        inlinePolicies: [{ name: 'p', document: { Version: '2012-10-17', Statement: [] } }],
        managedPolicies: [{ name: 'ReadOnlyAccess', arn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }],
        permissionsBoundary: { type: 'Policy', arn: 'arn:aws:iam::111111111111:policy/b' },
      },
    };
    expect(stateOfItem(role)).toEqual({
      kind: 'principal',
      arn: role.arn,
      accountId: '111111111111',
      principalType: 'role',
      tags: { owner: 'team' },
      inlinePolicies: { p: { Version: '2012-10-17', Statement: [] } },
      managedPolicies: ['arn:aws:iam::aws:policy/ReadOnlyAccess'],
      permissionsBoundary: 'arn:aws:iam::111111111111:policy/b',
      assumeRolePolicy: trust,
    });
  });

  it('reads a bucket without a policy as null', () => {
    const bucket: CachedS3Bucket = {
      ...freshness,
      arn: 'arn:aws:s3:::b',
      itemType: 's3_bucket',
      accountId: '222222222222',
      region: 'us-east-1',
      name: 'b',
      tags: {},
      details: { policy: null },
    };
    expect(stateOfItem(bucket)).toMatchObject({
      kind: 'resource',
      resourceType: 's3_bucket',
      policy: null,
      accountId: '222222222222',
    });
  });
});

describe('targetArnOf', () => {
  const principal = {
    principal_type: 'AwsResource' as const,
    principal_arn: 'arn:aws:iam::111111111111:role/app',
  };
  it('is the resource for resource policies and resource tags, else the principal', () => {
    expect(
      targetArnOf({
        principal,
        change_type: 'resource_policy',
        arn: 'arn:aws:s3:::b',
        policy: { policy_document: {} },
      }),
    ).toBe('arn:aws:s3:::b');
    expect(
      targetArnOf({
        principal,
        change_type: 'resource_tag',
        tag_action: 'delete',
        key: 'k',
        arn: 'arn:aws:s3:::b',
      }),
    ).toBe('arn:aws:s3:::b');
    expect(targetArnOf({ principal, change_type: 'resource_tag', tag_action: 'delete', key: 'k' })).toBe(
      principal.principal_arn,
    );
    expect(
      targetArnOf({
        principal,
        change_type: 'managed_policy',
        action: 'attach',
        arn: 'arn:aws:iam::aws:policy/A',
      }),
    ).toBe(principal.principal_arn);
  });
});
