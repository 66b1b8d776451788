import type { ChangeModel } from '@rolecall/shared/contracts';
import { describe, expect, it } from 'vitest';
import { prepareChanges } from './prepare-changes.js';
import type { PrincipalState, ResourceState, TargetState } from './target-state.js';

const ROLE = 'arn:aws:iam::111111111111:role/app';
const BUCKET = 'arn:aws:s3:::orders';
const principal = { principal_type: 'AwsResource' as const, principal_arn: ROLE };
const document = (action: string) => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: action, Resource: '*' }],
});

const role: PrincipalState = {
  kind: 'principal',
  arn: ROLE,
  accountId: '111111111111',
  principalType: 'role',
  inlinePolicies: { existing: document('s3:ListBucket'), 'rolecall-abcdef12-0': document('sqs:*') },
  managedPolicies: [],
  assumeRolePolicy: document('sts:AssumeRole'),
  tags: {},
};
const bucket: ResourceState = {
  kind: 'resource',
  arn: BUCKET,
  accountId: '111111111111',
  resourceType: 's3_bucket',
  policy: document('s3:GetObject'),
  tags: {},
};
const lookup = (arn: string): TargetState | undefined => ({ [ROLE]: role, [BUCKET]: bucket })[arn];

describe('prepareChanges', () => {
  it('names an unnamed inline policy after the request, avoiding a name the role has', () => {
    const [change] = prepareChanges(
      [
        {
          change_type: 'inline_policy',
          principal,
          action: 'attach',
          policy: { policy_document: document('s3:*') },
        },
      ],
      lookup,
      'abcdef12-3456',
    );
    expect(change).toMatchObject({ policy_name: 'rolecall-abcdef12-0-1' });
  });

  it('gives two unnamed inline policies of one request different names', () => {
    const unnamed: ChangeModel = {
      change_type: 'inline_policy',
      principal,
      action: 'attach',
      policy: { policy_document: document('s3:*') },
    };
    const names = prepareChanges([unnamed, unnamed], lookup, 'ffff0000').map(
      (c) => (c as { policy_name?: string }).policy_name,
    );
    expect(new Set(names).size).toBe(2);
  });

  it('keeps the current document as old_policy for an update, a trust edit and a bucket policy', () => {
    const changes = prepareChanges(
      [
        {
          change_type: 'inline_policy',
          principal,
          action: 'attach',
          new: false,
          policy_name: 'existing',
          policy: { policy_document: document('s3:*') },
        },
        { change_type: 'assume_role_policy', principal, policy: { policy_document: document('sts:*') } },
        {
          change_type: 'resource_policy',
          principal,
          arn: BUCKET,
          policy: { policy_document: document('s3:*') },
        },
      ],
      lookup,
      'r1',
    );
    expect(changes.map((c) => ('old_policy' in c ? c.old_policy?.policy_document : undefined))).toEqual([
      document('s3:ListBucket'),
      document('sts:AssumeRole'),
      document('s3:GetObject'),
    ]);
  });

  it('gives a new inline policy no old_policy, and leaves a change on an uncached target as it is', () => {
    const named: ChangeModel = {
      change_type: 'inline_policy',
      principal,
      action: 'attach',
      policy_name: 'fresh',
      policy: { policy_document: document('s3:*') },
    };
    const uncached: ChangeModel = {
      change_type: 'resource_policy',
      principal,
      arn: 'arn:aws:s3:::unknown',
      policy: { policy_document: document('s3:*') },
    };
    expect(prepareChanges([named, uncached], lookup, 'r2')).toEqual([named, uncached]);
  });
});
