import type {
  ApprovalModel,
  AutoApprovalRule,
  ChangeModel,
  PolicyRequestSettings,
} from '@rolecall/shared/contracts';
import { newlyGranted } from '@rolecall/policy';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  contributionOf,
  evaluateApproval,
  justificationRequired,
  matchAutoApproval,
  type ApprovalFacts,
} from './approval-rules.js';

const PROD = '111111111111';
const DEV = '222222222222';
const settings: PolicyRequestSettings = {
  approval_rules: [
    { name: 'prod', accounts: [PROD], approvers: ['prod-approvers'], min_approvals: 2 },
    { name: 'owners', owner_tag: 'owner' },
  ],
};
const approval = (user: string, ...groups: string[]): ApprovalModel => ({
  user,
  groups,
  at: '2030-01-01T00:00:00Z',
});
const facts = (overrides: Partial<ApprovalFacts> = {}): ApprovalFacts => ({
  settings,
  adminGroups: ['admins'],
  requester: 'alice@example.com',
  touched: [{ arn: `arn:aws:iam::${PROD}:role/app`, accountId: PROD, tags: { owner: 'team-data' } }],
  approvals: [],
  ...overrides,
});

describe('evaluateApproval', () => {
  it('asks prod accounts for two people and the owner group for one, and explains it', () => {
    const explanation = evaluateApproval(facts());
    expect(explanation.satisfied).toBe(false);
    expect(explanation.requirements.map((r) => [r.kind, r.rule, r.required, r.remaining])).toEqual([
      ['rule', 'prod', 2, 2],
      ['owner', 'owners', 1, 1],
    ]);
    expect(explanation.summary).toContain('2 more approvals from prod-approvers or admins');
    expect(explanation.summary).toContain('1 more approval from team-data');
  });

  it('counts distinct people, each toward the requirements their groups cover', () => {
    const some = evaluateApproval(
      facts({
        approvals: [
          approval('bob@example.com', 'prod-approvers', 'team-data'),
          approval('BOB@example.com', 'prod-approvers'),
        ],
      }),
    );
    expect(some.requirements.map((r) => r.remaining)).toEqual([1, 0]);
    const all = evaluateApproval(
      facts({
        approvals: [
          approval('bob@example.com', 'prod-approvers', 'team-data'),
          approval('carol@example.com', 'admins'),
        ],
      }),
    );
    expect(all.satisfied).toBe(true);
  });

  it("never counts the requester's own approval unless the rule allows it", () => {
    const own = facts({ approvals: [approval('Alice@Example.com', 'admins')], settings: {} });
    expect(evaluateApproval(own).satisfied).toBe(false);
    const allowed = facts({
      settings: {
        approval_rules: [
          { name: 'sandbox', accounts: [PROD], allow_self_approval: true, approvers: ['devs'] },
        ],
      },
      approvals: [approval('alice@example.com', 'devs')],
    });
    expect(evaluateApproval(allowed).satisfied).toBe(true);
  });

  it('falls back to one admin when no rule covers the request', () => {
    const explanation = evaluateApproval(
      facts({
        settings: undefined,
        touched: [{ arn: 'arn:aws:iam::222222222222:role/x', accountId: DEV, tags: {} }],
      }),
    );
    expect(explanation.requirements).toEqual([
      expect.objectContaining({ kind: 'admins', approvers: ['admins'], remaining: 1 }),
    ]);
  });

  it('no approval by anyone spelled like the requester satisfies a rule that forbids self-approval (property)', () => {
    const casing = fc.array(fc.boolean(), { minLength: 17, maxLength: 17 });
    fc.assert(
      fc.property(
        casing,
        fc.array(fc.constantFrom('admins', 'prod-approvers', 'team-data'), { maxLength: 3 }),
        (upper, groups) => {
          const spelled = [...'alice@example.com'].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join('');
          const explanation = evaluateApproval(facts({ approvals: [approval(` ${spelled} `, ...groups)] }));
          expect(explanation.requirements.every((r) => r.approved_by.length === 0)).toBe(true);
          expect(contributionOf({ user: spelled, groups }, explanation, 'alice@example.com')).not.toBe(
            'counts',
          );
        },
      ),
    );
  });
});

describe('contributionOf', () => {
  it('tells a fresh approver, a repeat, the requester and an outsider apart', () => {
    const explanation = evaluateApproval(
      facts({ approvals: [approval('bob@example.com', 'prod-approvers')] }),
    );
    expect(
      contributionOf({ user: 'carol@example.com', groups: ['team-data'] }, explanation, 'alice@example.com'),
    ).toBe('counts');
    expect(
      contributionOf(
        { user: 'bob@example.com', groups: ['prod-approvers'] },
        explanation,
        'alice@example.com',
      ),
    ).toBe('already_approved');
    expect(
      contributionOf({ user: 'alice@example.com', groups: ['admins'] }, explanation, 'alice@example.com'),
    ).toBe('self');
    expect(
      contributionOf({ user: 'mallory@example.com', groups: ['devs'] }, explanation, 'alice@example.com'),
    ).toBe('not_an_approver');
  });
});

describe('matchAutoApproval', () => {
  const rule: AutoApprovalRule = {
    name: 'dev-read',
    accounts: [DEV],
    principal_arns: ['arn:aws:iam::*:role/dev-*'],
    action_prefixes: ['s3:Get', 's3:List'],
    max_duration: '8h',
  };
  const now = new Date('2030-01-01T00:00:00Z');
  const inline = (actions: string[], extra: Partial<ChangeModel> = {}): ChangeModel =>
    ({
      principal: { principal_type: 'AwsResource', principal_arn: `arn:aws:iam::${DEV}:role/dev-app` },
      change_type: 'inline_policy',
      action: 'attach',
      policy_name: 'p',
      expires_in: '4h',
      policy: {
        policy_document: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }],
        },
      },
      ...extra,
    }) as ChangeModel;
  const match = (changes: ChangeModel[], justification = 'reading logs') =>
    matchAutoApproval({
      rules: [rule],
      principalArn: `arn:aws:iam::${DEV}:role/dev-app`,
      changes,
      accountOf: () => DEV,
      justification,
      now,
    });

  it('approves a short read-only grant in a listed account', () => {
    expect(match([inline(['s3:GetObject', 's3:list*'])])).toMatchObject({
      matched: true,
      rule: { name: 'dev-read' },
    });
  });

  it.each<[string, ChangeModel[], string?]>([
    ['an action outside the prefixes', [inline(['s3:GetObject', 's3:PutObject'])]],
    ['a wildcard wider than a prefix', [inline(['s3:*'])]],
    ['a grant longer than max_duration', [inline(['s3:GetObject'], { expires_in: '2d' })]],
    ['a grant that never expires', [inline(['s3:GetObject'], { expires_in: undefined })]],
    [
      'a managed policy attachment',
      [
        {
          principal: { principal_type: 'AwsResource', principal_arn: `arn:aws:iam::${DEV}:role/dev-app` },
          change_type: 'managed_policy',
          action: 'attach',
          arn: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
        },
      ],
    ],
    ['no justification', [inline(['s3:GetObject'])], ' '],
  ])('refuses %s, with the reason', (_what, changes, justification) => {
    const result = match(changes, justification);
    expect(result.matched).toBe(false);
    expect(!result.matched && result.reasons[0]?.reason).toBeTruthy();
  });

  it('waives the justification only for a rule that says so', () => {
    expect(justificationRequired({}, undefined)).toBe(true);
    expect(justificationRequired({}, { ...rule, justification_required: false })).toBe(false);
    expect(justificationRequired({ justification_required: false }, undefined)).toBe(false);
  });
});

describe('matchAutoApproval with access levels', () => {
  const rule: AutoApprovalRule = {
    name: 'read-only',
    accounts: [DEV],
    principal_arns: ['arn:aws:iam::*:role/dev-*'],
    access_levels: ['List', 'Read'],
  };
  const document = (Action: string | string[]) => ({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action, Resource: '*' }],
  });
  const inline = (Action: string | string[]): ChangeModel => ({
    principal: { principal_type: 'AwsResource', principal_arn: `arn:aws:iam::${DEV}:role/dev-app` },
    change_type: 'inline_policy',
    action: 'attach',
    policy_name: 'p',
    policy: { policy_document: document(Action) },
  });
  const match = async (Action: string | string[], rules: AutoApprovalRule[] = [rule]) =>
    matchAutoApproval({
      rules,
      principalArn: `arn:aws:iam::${DEV}:role/dev-app`,
      changes: [inline(Action)],
      accountOf: () => DEV,
      granted: [await newlyGranted(null, document(Action))],
      justification: 'reading',
      now: new Date('2030-01-01T00:00:00Z'),
    });

  it('approves when every newly granted action, wildcards expanded, is List or Read', async () => {
    expect(await match(['s3:Get*', 's3:ListBucket', 'sqs:ReceiveMessage'])).toMatchObject({ matched: true });
  });

  it.each([
    ['a Write action', 's3:PutObject', 'Write'],
    ['a wildcard that expands to Write actions', 's3:*Object', 'Write'],
    ['a Permissions management action', 'iam:PutRolePolicy', 'Permissions management'],
    ['a Tagging action', 'sqs:TagQueue', 'Tagging'],
  ])('refuses %s, naming its level', async (_what, action, level) => {
    const result = await match(action);
    expect(result.matched).toBe(false);
    expect(!result.matched && result.reasons[0]?.reason).toContain(level);
  });

  it('refuses when what the change grants is not known', () => {
    const result = matchAutoApproval({
      rules: [rule],
      principalArn: `arn:aws:iam::${DEV}:role/dev-app`,
      changes: [inline('s3:GetObject')],
      accountOf: () => DEV,
      justification: 'reading',
      now: new Date('2030-01-01T00:00:00Z'),
    });
    expect(result.matched).toBe(false);
  });

  it('needs both conditions when a rule names prefixes and levels', async () => {
    const both: AutoApprovalRule = { ...rule, action_prefixes: ['sqs:'] };
    expect((await match('s3:GetObject', [both])).matched).toBe(false);
    expect((await match('sqs:ReceiveMessage', [both])).matched).toBe(true);
  });
});
