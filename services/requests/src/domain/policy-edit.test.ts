import type { ChangeModel, ChangeOf } from '@rolecall/shared/contracts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  grantedStatements,
  isRolecallSid,
  planApply,
  planExpiry,
  rolecallSidPrefix,
  type EditContext,
} from './policy-edit.js';
import type { PrincipalState, ResourceState, TargetState } from './target-state.js';

const ROLE = 'arn:aws:iam::111111111111:role/app';
const principal = { principal_type: 'AwsResource' as const, principal_arn: ROLE };
const context: EditContext = { requestId: '3f2a9c1e-0000-4000-8000-000000000000', changeIndex: 0 };

const role = (overrides: Partial<PrincipalState> = {}): PrincipalState => ({
  kind: 'principal',
  arn: ROLE,
  accountId: '111111111111',
  principalType: 'role',
  inlinePolicies: {},
  managedPolicies: [],
  tags: {},
  assumeRolePolicy: {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
  },
  ...overrides,
});

const read = { Effect: 'Allow', Action: ['s3:GetObject'], Resource: 'arn:aws:s3:::data/*' };
const list = { Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::data' };
const doc = (...Statement: object[]) => ({ Version: '2012-10-17', Statement });

const inline = (overrides: Partial<ChangeOf<'inline_policy'>> = {}): ChangeOf<'inline_policy'> => ({
  principal,
  change_type: 'inline_policy',
  action: 'attach',
  policy_name: 'data-read',
  new: true,
  policy: { policy_document: doc(read) },
  ...overrides,
});

/** Applies, then records the Sids on the change as the service does. */
function applied(state: TargetState, change: ChangeModel) {
  const outcome = planApply(state, change, context);
  if (!outcome.ok) throw new Error(outcome.problem.message);
  return {
    ...outcome.plan,
    change: { ...change, status: 'applied' as const, granted_sids: outcome.plan.grantedSids },
  };
}

function expiredPlan(state: TargetState, change: ChangeModel) {
  const outcome = planExpiry(state, change, context);
  if (!outcome.ok) throw new Error(outcome.problem.message);
  return outcome.plan;
}

describe('Rolecall Sids', () => {
  it('carry the request id and the change index, and are recognised', () => {
    expect(rolecallSidPrefix(context)).toBe('Rolecall3f2a9c1eC0S');
    expect(isRolecallSid('Rolecall3f2a9c1eC0S1')).toBe(true);
    expect(isRolecallSid('AllowRead')).toBe(false);
  });
});

describe('planApply', () => {
  it("creates a new inline policy with every statement marked as Rolecall's", () => {
    const { writes, grantedSids } = applied(role(), inline());
    expect(grantedSids).toEqual(['Rolecall3f2a9c1eC0S0']);
    expect(writes).toEqual([
      {
        op: 'put_inline_policy',
        principalArn: ROLE,
        name: 'data-read',
        document: doc({ Sid: 'Rolecall3f2a9c1eC0S0', ...read }),
      },
    ]);
  });

  it('merges into an existing policy: keeps what a person wrote since, takes out what the change withdrew', () => {
    const handWritten = { Sid: 'Ops', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '*' };
    const state = role({ inlinePolicies: { shared: doc(list, handWritten) } });
    const change = inline({
      policy_name: 'shared',
      new: false,
      old_policy: { policy_document: doc(list) },
      policy: { policy_document: doc(read) },
    });
    const { writes } = applied(state, change);
    expect(writes).toEqual([
      {
        op: 'put_inline_policy',
        principalArn: ROLE,
        name: 'shared',
        document: doc(handWritten, { Sid: 'Rolecall3f2a9c1eC0S0', ...read }),
      },
    ]);
  });

  it('does not add a statement that already grants the same under another Sid', () => {
    const state = role({ inlinePolicies: { shared: doc({ Sid: 'Mine', ...read, Action: 's3:GetObject' }) } });
    const { writes, grantedSids } = applied(state, inline({ policy_name: 'shared', new: false }));
    expect(writes).toEqual([]);
    expect(grantedSids).toEqual([]);
  });

  it('plans nothing for each change type once its state is there', () => {
    const changes: ChangeModel[] = [
      inline(),
      inline({ action: 'detach' }),
      {
        principal,
        change_type: 'managed_policy',
        action: 'attach',
        arn: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
      },
      {
        principal,
        change_type: 'managed_policy',
        action: 'detach',
        arn: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
      },
      {
        principal,
        change_type: 'permissions_boundary',
        action: 'attach',
        arn: 'arn:aws:iam::111111111111:policy/b',
      },
      {
        principal,
        change_type: 'permissions_boundary',
        action: 'detach',
        arn: 'arn:aws:iam::111111111111:policy/b',
      },
      {
        principal,
        change_type: 'assume_role_policy',
        policy: {
          policy_document: doc({
            Effect: 'Allow',
            Principal: { AWS: 'arn:aws:iam::222222222222:root' },
            Action: 'sts:AssumeRole',
          }),
        },
      },
      { principal, change_type: 'resource_tag', tag_action: 'create', key: 'owner', value: 'team-data' },
      {
        principal,
        change_type: 'resource_tag',
        tag_action: 'update',
        key: 'team',
        value: 'b',
        original_key: 'owner',
      },
      { principal, change_type: 'resource_tag', tag_action: 'delete', key: 'owner' },
    ];
    for (const change of changes) {
      const first = applied(role({ tags: { owner: 'x' } }), change);
      const second = planApply(first.target, first.change, context);
      expect(second.ok && second.plan.writes, change.change_type).toEqual([]);
    }
  });

  it('renames a tag by removing the old key', () => {
    const { writes } = applied(role({ tags: { owner: 'a' } }), {
      principal,
      change_type: 'resource_tag',
      tag_action: 'update',
      key: 'team',
      value: 'a',
      original_key: 'owner',
    });
    expect(writes).toEqual([
      { op: 'untag', arn: ROLE, key: 'owner' },
      { op: 'tag', arn: ROLE, key: 'team', value: 'a' },
    ]);
  });

  it('writes a new default version of a managed policy only when its statements differ', () => {
    const policyArn = 'arn:aws:iam::111111111111:policy/p';
    const state = {
      kind: 'managed_policy' as const,
      arn: policyArn,
      accountId: '111111111111',
      awsManaged: false,
      document: doc(read),
      tags: {},
    };
    const change: ChangeModel = {
      principal: { ...principal, principal_arn: policyArn },
      change_type: 'managed_policy_resource',
      new: false,
      policy: { policy_document: JSON.stringify(doc(list)) },
    };
    expect(applied(state, change).writes).toEqual([
      { op: 'create_managed_policy_version', policyArn, document: doc(list) },
    ]);
    expect(applied({ ...state, document: doc(list) }, change).writes).toEqual([]);
    expect(applied({ ...state, document: undefined }, change).writes[0]?.op).toBe('create_managed_policy');
    const aws = planApply({ ...state, awsManaged: true }, change, context);
    expect(!aws.ok && aws.problem.code).toBe('AWS_MANAGED_POLICY_IMMUTABLE');
  });

  it('refuses a change aimed at the wrong kind of thing', () => {
    const bucket: ResourceState = {
      kind: 'resource',
      arn: 'arn:aws:s3:::data',
      accountId: '111111111111',
      resourceType: 's3_bucket',
      policy: null,
      tags: {},
    };
    const outcome = planApply(bucket, inline(), context);
    expect(!outcome.ok && outcome.problem.code).toBe('TARGET_MISMATCH');
  });

  it('puts a bucket policy, and deletes it when a withdrawal leaves it empty', () => {
    const bucket: ResourceState = {
      kind: 'resource',
      arn: 'arn:aws:s3:::data',
      accountId: '222222222222',
      resourceType: 's3_bucket',
      policy: null,
      tags: {},
    };
    const grant = {
      Effect: 'Allow',
      Principal: { AWS: [ROLE] },
      Action: ['s3:GetObject'],
      Resource: ['arn:aws:s3:::data/*'],
    };
    const change: ChangeModel = {
      principal,
      change_type: 'resource_policy',
      arn: bucket.arn,
      policy: { policy_document: doc(grant) },
    };
    const put = applied(bucket, change);
    expect(put.writes[0]?.op).toBe('put_resource_policy');
    const withdraw: ChangeModel = {
      ...change,
      old_policy: { policy_document: doc(grant) },
      policy: { policy_document: doc() },
    };
    expect(applied({ ...bucket, policy: doc(grant) }, withdraw).writes).toEqual([
      { op: 'delete_resource_policy', resourceArn: bucket.arn, resourceType: 's3_bucket' },
    ]);
  });
});

describe('planExpiry', () => {
  it('deletes the inline policy the change created', () => {
    const apply = applied(role(), inline());
    expect(expiredPlan(apply.target, apply.change)).toEqual({
      target: role(),
      writes: [{ op: 'delete_inline_policy', principalArn: ROLE, name: 'data-read' }],
      findings: [],
    });
  });

  it('removes exactly its statement from a policy it merged into', () => {
    const handWritten = { Sid: 'Ops', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '*' };
    const start = role({ inlinePolicies: { shared: doc(handWritten) } });
    const apply = applied(
      start,
      inline({
        policy_name: 'shared',
        new: false,
        old_policy: { policy_document: doc(handWritten) },
        policy: { policy_document: doc(handWritten, read) },
      }),
    );
    const plan = expiredPlan(apply.target, apply.change);
    expect(plan.writes).toEqual([
      { op: 'put_inline_policy', principalArn: ROLE, name: 'shared', document: doc(handWritten) },
    ]);
    expect(plan.findings).toEqual([]);
  });

  it("removes only Rolecall's actions from a statement edited by hand, and says so", () => {
    const apply = applied(role(), inline());
    const sid = apply.grantedSids[0] ?? '';
    const edited = {
      Sid: sid,
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:PutObject'],
      Resource: ['arn:aws:s3:::data/*', 'arn:aws:s3:::logs/*'],
    };
    const plan = expiredPlan(role({ inlinePolicies: { 'data-read': doc(edited) } }), apply.change);
    expect(plan.writes).toEqual([
      {
        op: 'put_inline_policy',
        principalArn: ROLE,
        name: 'data-read',
        document: doc(
          { Effect: 'Allow', Action: ['s3:PutObject'], Resource: edited.Resource },
          { Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::logs/*'] },
        ),
      },
    ]);
    expect(plan.findings.map((f) => f.code)).toEqual(['STATEMENT_EDITED', 'POLICY_KEPT']);
    expect(plan.findings[0]?.message).toContain('s3:PutObject');
  });

  it('leaves a statement rewritten beyond its actions as found, and reports it', () => {
    const apply = applied(role(), inline());
    const sid = apply.grantedSids[0] ?? '';
    const rewritten = { Sid: sid, ...read, Condition: { Bool: { 'aws:SecureTransport': 'true' } } };
    const plan = expiredPlan(role({ inlinePolicies: { 'data-read': doc(rewritten) } }), apply.change);
    expect(plan.writes).toEqual([]);
    expect(plan.findings.map((f) => f.code)).toEqual(['STATEMENT_REWRITTEN', 'POLICY_KEPT']);
  });

  it('reports a statement or policy already gone and writes nothing', () => {
    const apply = applied(role(), inline());
    expect(expiredPlan(role(), apply.change).findings.map((f) => f.code)).toEqual(['POLICY_NOT_FOUND']);
    const other = role({ inlinePolicies: { 'data-read': doc(list) } });
    const plan = expiredPlan(other, apply.change);
    expect(plan.writes).toEqual([]);
    expect(plan.findings.map((f) => f.code)).toEqual(['STATEMENT_NOT_FOUND', 'POLICY_KEPT']);
  });

  it('detaches a managed policy only while attached, and a boundary only while it is the one set', () => {
    const attach: ChangeModel = {
      principal,
      change_type: 'managed_policy',
      action: 'attach',
      arn: 'arn:aws:iam::aws:policy/A',
    };
    expect(expiredPlan(role({ managedPolicies: ['arn:aws:iam::aws:policy/A'] }), attach).writes).toEqual([
      { op: 'detach_managed_policy', principalArn: ROLE, policyArn: 'arn:aws:iam::aws:policy/A' },
    ]);
    expect(expiredPlan(role(), attach).findings[0]?.code).toBe('ATTACHMENT_NOT_FOUND');
    const boundary: ChangeModel = {
      principal,
      change_type: 'permissions_boundary',
      action: 'attach',
      arn: 'arn:aws:iam::111111111111:policy/b',
    };
    expect(
      expiredPlan(role({ permissionsBoundary: 'arn:aws:iam::111111111111:policy/other' }), boundary),
    ).toMatchObject({
      writes: [],
      findings: [{ code: 'BOUNDARY_CHANGED' }],
    });
    expect(expiredPlan(role({ permissionsBoundary: boundary.arn }), boundary).writes).toEqual([
      { op: 'delete_permissions_boundary', principalArn: ROLE },
    ]);
  });

  it('removes a created tag, restores an updated one, and leaves one changed by hand', () => {
    const create: ChangeModel = {
      principal,
      change_type: 'resource_tag',
      tag_action: 'create',
      key: 'temp',
      value: 'yes',
    };
    expect(expiredPlan(role({ tags: { temp: 'yes' } }), create).writes).toEqual([
      { op: 'untag', arn: ROLE, key: 'temp' },
    ]);
    expect(expiredPlan(role({ tags: { temp: 'no' } }), create).findings[0]?.code).toBe('TAG_CHANGED');
    const update: ChangeModel = {
      principal,
      change_type: 'resource_tag',
      tag_action: 'update',
      key: 'tier',
      value: 'gold',
      original_value: 'silver',
    };
    expect(expiredPlan(role({ tags: { tier: 'gold' } }), update).writes).toEqual([
      { op: 'tag', arn: ROLE, key: 'tier', value: 'silver' },
    ]);
  });

  it('refuses changes that cannot expire', () => {
    const outcome = planExpiry(role(), inline({ action: 'detach' }), context);
    expect(!outcome.ok && outcome.problem.code).toBe('EXPIRY_NOT_SUPPORTED');
  });
});

describe('apply then expire (property)', () => {
  const action = fc.constantFrom(
    's3:GetObject',
    's3:PutObject',
    'sqs:SendMessage',
    'sns:Publish',
    'kms:Decrypt',
    'S3:getobject',
  );
  const resource = fc.constantFrom(
    '*',
    'arn:aws:s3:::a/*',
    'arn:aws:s3:::b',
    'arn:aws:sqs:us-east-1:111111111111:q',
  );
  const statement = fc.record({
    Effect: fc.constantFrom('Allow', 'Deny'),
    Action: fc.oneof(action, fc.uniqueArray(action, { minLength: 1, maxLength: 3 })),
    Resource: fc.oneof(resource, fc.uniqueArray(resource, { minLength: 1, maxLength: 2 })),
  });
  const sid = fc.option(fc.stringMatching(/^[A-Z][a-z0-9]{0,5}$/), { nil: undefined });
  const existing = fc.array(
    fc.tuple(sid, statement).map(([s, st]) => (s === undefined ? st : { Sid: s, ...st })),
    { maxLength: 4 },
  );

  it('is idempotent, and expiry gives back the statements that were there', () => {
    fc.assert(
      fc.property(existing, fc.array(statement, { minLength: 1, maxLength: 3 }), (before, added) => {
        const start = role({ inlinePolicies: before.length > 0 ? { p: doc(...before) } : {} });
        const change = inline({
          policy_name: 'p',
          new: before.length === 0,
          ...(before.length > 0 ? { old_policy: { policy_document: doc(...before) } } : {}),
          policy: { policy_document: doc(...before, ...added) },
        });
        const apply = applied(start, change);
        const again = planApply(apply.target, apply.change, context);
        expect(again.ok && again.plan.writes).toEqual([]);
        const plan = expiredPlan(apply.target, apply.change);
        expect(plan.findings.filter((f) => f.code !== 'POLICY_KEPT')).toEqual([]);
        const after = plan.target.kind === 'principal' ? plan.target.inlinePolicies.p : undefined;
        expect(after === undefined ? [] : (after as { Statement: unknown[] }).Statement).toEqual(before);
      }),
    );
  });

  it('grants only statements that old_policy lacked', () => {
    fc.assert(
      fc.property(existing, fc.array(statement, { maxLength: 3 }), (before, added) => {
        const change = inline({
          new: false,
          old_policy: { policy_document: doc(...before) },
          policy: { policy_document: doc(...before, ...added) },
        });
        for (const { sid: s } of grantedStatements(change, context)) expect(isRolecallSid(s)).toBe(true);
        expect(grantedStatements(change, context).length).toBeLessThanOrEqual(added.length);
      }),
    );
  });
});
