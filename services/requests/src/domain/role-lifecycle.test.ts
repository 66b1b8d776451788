import type { ChangeOf } from '@rolecall/shared/contracts';
import { describe, expect, it } from 'vitest';
import { planApply, planExpiry, type Write } from './policy-edit.js';
import { CREATED_BY_TAG, defaultTrustPolicy, prepareRoleChanges, withSourceParts } from './role-lifecycle.js';
import type { PrincipalState, TargetState } from './target-state.js';

const ACCOUNT = '111111111111';
const ARN = `arn:aws:iam::${ACCOUNT}:role/team/builder`;
const context = { requestId: 'req-1', changeIndex: 0 };
const identity = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
};
const trust = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
};
const absent: TargetState = { kind: 'absent', arn: ARN, accountId: ACCOUNT, tags: {} };
const create: ChangeOf<'create_role'> = {
  change_type: 'create_role',
  principal: { principal_type: 'AwsResource', principal_arn: ARN },
  description: 'Builds things',
  assume_role_policy: { policy_document: trust },
  instance_profile: true,
  inline_policies: [{ policy_name: 'read', policy_document: identity }],
  managed_policy_arns: ['arn:aws:iam::aws:policy/ReadOnlyAccess'],
  permissions_boundary_arn: 'arn:aws:iam::aws:policy/PowerUserAccess',
  tags: [{ Key: 'owner', Value: 'team' }],
};
const remove: ChangeOf<'delete_role'> = {
  change_type: 'delete_role',
  principal: { principal_type: 'AwsResource', principal_arn: ARN },
};
const role = (over: Partial<PrincipalState> = {}): PrincipalState => ({
  kind: 'principal',
  arn: ARN,
  accountId: ACCOUNT,
  principalType: 'role',
  inlinePolicies: {},
  managedPolicies: [],
  assumeRolePolicy: trust,
  tags: {},
  instanceProfiles: [],
  ...over,
});
const writesOf = (state: TargetState, change: ChangeOf<'create_role' | 'delete_role'>): Write[] => {
  const outcome = planApply(state, change, context);
  if (!outcome.ok) throw new Error(outcome.problem.code);
  return outcome.plan.writes;
};
const ops = (writes: Write[]) => writes.map((w) => w.op);

describe('planning a role creation', () => {
  it('creates the role with its trust, tags and boundary, then its policies and its instance profile', () => {
    const writes = writesOf(absent, create);
    expect(ops(writes)).toEqual([
      'create_role',
      'put_inline_policy',
      'attach_managed_policy',
      'create_instance_profile',
      'add_role_to_instance_profile',
    ]);
    expect(writes[0]).toEqual({
      op: 'create_role',
      roleArn: ARN,
      document: trust,
      description: 'Builds things',
      boundaryArn: 'arn:aws:iam::aws:policy/PowerUserAccess',
      tags: { owner: 'team', [CREATED_BY_TAG]: 'req-1' },
    });
    expect(writes[3]).toMatchObject({ name: 'builder' });
  });

  it('finishes a creation cut short: only what is missing from the role this request made', () => {
    const half = role({
      tags: { owner: 'team', [CREATED_BY_TAG]: 'req-1' },
      permissionsBoundary: 'arn:aws:iam::aws:policy/PowerUserAccess',
      inlinePolicies: { read: identity },
    });
    expect(ops(writesOf(half, create))).toEqual([
      'attach_managed_policy',
      'create_instance_profile',
      'add_role_to_instance_profile',
    ]);
    const whole = {
      ...half,
      managedPolicies: ['arn:aws:iam::aws:policy/ReadOnlyAccess'],
      instanceProfiles: ['builder'],
    };
    expect(writesOf(whole, create)).toEqual([]);
  });

  it('refuses to write into a role of that name that this request did not create', () => {
    const tagSets: Record<string, string>[] = [{}, { [CREATED_BY_TAG]: 'another-request' }];
    for (const tags of tagSets) {
      const outcome = planApply(role({ tags }), create, context);
      expect(outcome.ok ? 'planned' : outcome.problem.code).toBe('ROLE_EXISTS');
    }
  });

  it('cannot expire', () => {
    const outcome = planExpiry(absent, create, context);
    expect(outcome.ok ? 'planned' : outcome.problem.code).toBe('EXPIRY_NOT_SUPPORTED');
  });
});

describe('planning a role deletion', () => {
  it('takes the role out of its profiles, deletes its own, detaches, deletes inline policies, then the role', () => {
    const writes = writesOf(
      role({
        instanceProfiles: ['builder', 'shared-profile'],
        managedPolicies: ['arn:aws:iam::aws:policy/ReadOnlyAccess'],
        inlinePolicies: { read: identity, write: identity },
      }),
      remove,
    );
    expect(writes).toEqual([
      { op: 'remove_role_from_instance_profile', roleArn: ARN, name: 'builder' },
      { op: 'remove_role_from_instance_profile', roleArn: ARN, name: 'shared-profile' },
      { op: 'delete_instance_profile', roleArn: ARN, name: 'builder' },
      { op: 'detach_managed_policy', principalArn: ARN, policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' },
      { op: 'delete_inline_policy', principalArn: ARN, name: 'read' },
      { op: 'delete_inline_policy', principalArn: ARN, name: 'write' },
      { op: 'delete_role', roleArn: ARN },
    ]);
  });

  it('finishes a deletion cut short after the role went: its own profile is still cleaned up', () => {
    expect(writesOf(absent, remove)).toEqual([
      { op: 'delete_instance_profile', roleArn: ARN, name: 'builder' },
    ]);
  });
});

describe('defaults of a new role', () => {
  it('trusts the hub role and the account when nothing is configured', () => {
    const hub = 'arn:aws:iam::123456789012:role/RolecallHub';
    expect(defaultTrustPolicy(ACCOUNT, undefined, hub)).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: [hub, `arn:aws:iam::${ACCOUNT}:root`] },
          Action: ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'],
        },
      ],
    });
  });

  it("takes the account's own trust before the default, with {account_id} filled in", () => {
    const settings = {
      default_trust_policy: { Statement: [{ Principal: { AWS: 'arn:aws:iam::{account_id}:root' } }] },
      account_trust_policies: { [ACCOUNT]: { Statement: [{ Principal: { Service: 'ec2.amazonaws.com' } }] } },
    };
    expect(defaultTrustPolicy(ACCOUNT, settings, undefined)).toEqual(
      settings.account_trust_policies[ACCOUNT],
    );
    expect(defaultTrustPolicy('222222222222', settings, undefined)).toEqual({
      Statement: [{ Principal: { AWS: 'arn:aws:iam::222222222222:root' } }],
    });
  });

  it('fills in the trust and session duration a create left out, and leaves what it gave', () => {
    const [filled] = prepareRoleChanges([{ ...create, assume_role_policy: undefined }], {
      settings: { default_max_session_duration: 7200 },
      hubRoleArn: undefined,
    });
    expect(filled).toMatchObject({
      max_session_duration: 7200,
      assume_role_policy: { policy_document: defaultTrustPolicy(ACCOUNT, undefined, undefined) },
    });
    const [kept] = prepareRoleChanges([create], { settings: undefined, hubRoleArn: undefined });
    expect(kept).toEqual(create);
  });
});

describe('what a clone copies from its source in AWS', () => {
  const clone: ChangeOf<'create_role'> = {
    ...create,
    description: undefined,
    cloned_from: `arn:aws:iam::${ACCOUNT}:role/source`,
    copy_from_source: ['description', 'max_session_duration'],
  };

  it('takes the description and session duration read, and drops the marker', () => {
    const filled = withSourceParts(clone, { description: 'The source', maxSessionDuration: 7200 });
    expect(filled).toMatchObject({ description: 'The source', max_session_duration: 7200 });
    expect(filled).not.toHaveProperty('copy_from_source');
  });

  it('takes only what was chosen, and nothing the source does not have', () => {
    const filled = withSourceParts(
      { ...clone, copy_from_source: ['description'] },
      { maxSessionDuration: 7200 },
    );
    expect(filled.description).toBeUndefined();
    expect(filled.max_session_duration).toBeUndefined();
  });

  it('keeps the marker when the source could not be read, for validation to refuse', () => {
    expect(withSourceParts(clone, undefined)).toEqual(clone);
  });
});
