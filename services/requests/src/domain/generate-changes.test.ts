import type { ChangeGenerator } from '@rolecall/shared/contracts';
import { statementsOf, type PolicyStatement } from '@rolecall/shared/iam';
import { describe, expect, it } from 'vitest';
import { generateChanges, minimizeGrants, ROLECALL_POLICY_NAME } from './generate-changes.js';
import { prepareChanges } from './prepare-changes.js';
import type { PrincipalState } from './target-state.js';

const ROLE = 'arn:aws:iam::111111111111:role/app';
const principal = { principal_type: 'AwsResource' as const, principal_arn: ROLE };

const roleState = (inlinePolicies: Record<string, unknown> = {}): PrincipalState => ({
  kind: 'principal',
  arn: ROLE,
  accountId: '111111111111',
  principalType: 'role',
  inlinePolicies,
  managedPolicies: [],
  tags: {},
});

const s3Read = (bucket: string, prefix = 'reports/*'): ChangeGenerator => ({
  principal,
  generator_type: 's3',
  resource_arn: `arn:aws:s3:::${bucket}`,
  bucket_prefix: prefix,
  action_groups: ['list', 'read'],
});

async function generate(generators: ChangeGenerator[], state: PrincipalState | undefined = roleState()) {
  return generateChanges(generators, (arn) => Promise.resolve(arn === ROLE ? state : undefined));
}

async function generatedStatements(generators: ChangeGenerator[], state?: PrincipalState) {
  const outcome = await generate(generators, state);
  if (!outcome.ok) throw new Error(`${outcome.code}: ${outcome.message}`);
  return { change: outcome.change, statements: statementsOf(outcome.change.policy?.policy_document) };
}

const statementWith = (statements: PolicyStatement[], action: string) =>
  statements.find((s) => (s.Action as string[]).includes(action));

describe('generating changes from the wizard', () => {
  it('grants s3 list on the bucket ARN and s3 read on the objects under the prefix', async () => {
    const { change, statements } = await generatedStatements([s3Read('reports-bucket')]);
    expect(statementWith(statements, 's3:ListBucket')?.Resource).toEqual(['arn:aws:s3:::reports-bucket']);
    expect(statementWith(statements, 's3:GetObject')?.Resource).toEqual([
      'arn:aws:s3:::reports-bucket/reports/*',
    ]);
    expect(statementWith(statements, 's3:GetObject')?.Action).not.toContain('s3:ListBucket');
    expect(change).toMatchObject({ change_type: 'inline_policy', action: 'attach', new: true, principal });
    expect(change.policy_name).toBeUndefined();
    expect(change.resources?.map((r) => r.name)).toEqual(['reports-bucket', 'reports-bucket']);
  });

  it('writes each (action, resource) once, sorted, and joins statements with the same actions', async () => {
    const { statements } = await generatedStatements([
      s3Read('a-bucket', '/*'),
      s3Read('b-bucket', '/*'),
      s3Read('a-bucket', '/*'),
    ]);
    const list = statementWith(statements, 's3:ListBucket');
    expect(list?.Resource).toEqual(['arn:aws:s3:::a-bucket', 'arn:aws:s3:::b-bucket']);
    const read = statementWith(statements, 's3:GetObject');
    expect(read?.Resource).toEqual(['arn:aws:s3:::a-bucket/*', 'arn:aws:s3:::b-bucket/*']);
    for (const statement of statements) {
      const actions = statement.Action as string[];
      expect(actions).toEqual([...new Set(actions)].sort());
    }
    const pairs = statements.flatMap((s) =>
      (s.Action as string[]).flatMap((a) => (s.Resource as string[]).map((r) => `${a} ${r}`)),
    );
    expect(pairs).toEqual([...new Set(pairs)]);
  });

  it("merges into the principal's Rolecall-managed inline policy as an update, keeping what is there", async () => {
    const existing = {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'RolecallabcdefghC0S0',
          Effect: 'Allow',
          Action: ['sqs:SendMessage'],
          Resource: ['arn:aws:sqs:us-east-1:111111111111:q'],
        },
      ],
    };
    const state = roleState({
      'rolecall-abcdefgh-0': existing,
      'hand-written': { Version: '2012-10-17', Statement: [] },
    });
    const { change, statements } = await generatedStatements([s3Read('reports-bucket')], state);
    expect(change).toMatchObject({
      policy_name: 'rolecall-abcdefgh-0',
      new: false,
      old_policy: { policy_document: existing },
    });
    expect(statements[0]).toEqual(existing.Statement[0]);
    expect(statementWith(statements, 's3:GetObject')).toBeDefined();
  });

  it('creates a new policy when the managed one would pass IAM’s size limit', async () => {
    const big = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: ['s3:GetObject'],
          Resource: Array.from({ length: 300 }, (_, i) => `arn:aws:s3:::bucket-${i}-with-a-long-name/*`),
        },
      ],
    };
    const { change } = await generatedStatements(
      [s3Read('reports-bucket')],
      roleState({ 'rolecall-abcdefgh-0': big }),
    );
    expect(change).toMatchObject({ new: true });
    expect(change.policy_name).toBeUndefined();
  });

  it('leaves out what the inline policies already grant, and says so when that is everything', async () => {
    const first = await generatedStatements([s3Read('reports-bucket')]);
    const state = roleState({ 'rolecall-abcdefgh-0': first.change.policy?.policy_document });
    const again = await generate([s3Read('reports-bucket')], state);
    expect(again).toMatchObject({ ok: false, code: 'ALREADY_GRANTED' });
    const more = await generatedStatements(
      [{ ...s3Read('reports-bucket'), action_groups: ['list', 'read', 'delete'] }],
      state,
    );
    const added = more.statements.slice(first.statements.length);
    expect(added.flatMap((s) => s.Action as string[]).every((a) => a.startsWith('s3:Delete'))).toBe(true);
  });

  it('uses the policy a generator names: an update when it exists, a create when not', async () => {
    const named = { ...s3Read('reports-bucket'), policy_name: 'team-reports' };
    expect((await generatedStatements([named])).change).toMatchObject({
      policy_name: 'team-reports',
      new: true,
    });
    const state = roleState({ 'team-reports': { Version: '2012-10-17', Statement: [] } });
    expect((await generatedStatements([named], state)).change).toMatchObject({
      policy_name: 'team-reports',
      new: false,
    });
  });

  it('resolves crud_lookup access levels of a service from the IAM data', async () => {
    const { statements } = await generatedStatements([
      {
        principal,
        generator_type: 'crud_lookup',
        service_name: 'dynamodb',
        resource_arn: '*',
        action_groups: ['read'],
      },
    ]);
    const actions = statements.flatMap((s) => s.Action as string[]);
    expect(actions).toContain('dynamodb:GetItem');
    expect(actions).not.toContain('dynamodb:PutItem');
    expect(statements[0]?.Resource).toEqual(['*']);
  });

  it('gives generic only the actions of the ARN’s resource type at the levels asked', async () => {
    const table = 'arn:aws:dynamodb:us-east-1:111111111111:table/orders';
    const { statements } = await generatedStatements([
      { principal, generator_type: 'generic', resource_arn: table, action_groups: ['read', 'write'] },
    ]);
    const actions = statements.flatMap((s) => s.Action as string[]);
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem']));
    expect(actions).not.toContain('dynamodb:ListTables');
    expect(actions).not.toContain('dynamodb:TagResource');
  });

  it('fills the ses condition from from_address, and passes the expiry on', async () => {
    const { change, statements } = await generatedStatements([
      {
        principal,
        generator_type: 'ses',
        resource_arn: 'arn:aws:ses:us-east-1:111111111111:identity/example.com',
        from_address: 'alerts@example.com',
        action_groups: ['send_email'],
        expires_in: '4h',
      },
    ]);
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: ['ses:SendEmail', 'ses:SendRawEmail'],
        Resource: ['arn:aws:ses:us-east-1:111111111111:identity/example.com'],
        Condition: { StringLike: { 'ses:FromAddress': 'alerts@example.com' } },
      },
    ]);
    expect(change.expires_in).toBe('4h');
  });

  it('checks custom_iam actions against the IAM data and keeps them in its spelling', async () => {
    const { statements } = await generatedStatements([
      {
        principal,
        generator_type: 'custom_iam',
        policy: { Statement: [{ Effect: 'Allow', Action: ['s3:getobject', 'sqs:Get*'], Resource: '*' }] },
      },
    ]);
    expect(statements).toEqual([{ Effect: 'Allow', Action: ['s3:GetObject', 'sqs:Get*'], Resource: ['*'] }]);
  });
});

describe('refusing generators that cannot be right, before reading the cache', () => {
  const refusals: [string, ChangeGenerator[], string][] = [
    [
      'an unknown generator type',
      [{ principal, generator_type: 'lambda', resource_arn: '*', action_groups: ['x'] }],
      'UNKNOWN_GENERATOR_TYPE',
    ],
    ['a malformed ARN', [{ ...s3Read('x'), resource_arn: 'arn:aws:s3' }], 'INVALID_ARN'],
    [
      'an ARN of another service',
      [
        {
          principal,
          generator_type: 'sqs',
          resource_arn: 'arn:aws:sns:us-east-1:111111111111:t',
          action_groups: ['send_messages'],
        },
      ],
      'WRONG_RESOURCE_TYPE',
    ],
    ['a bucket given as *', [{ ...s3Read('x'), resource_arn: '*' }], 'RESOURCE_ARN_REQUIRED'],
    ['an unknown choice', [{ ...s3Read('x'), action_groups: ['read', 'own'] }], 'UNKNOWN_ACTION_GROUP'],
    ['no choice', [{ ...s3Read('x'), action_groups: [] }], 'ACTION_GROUPS_REQUIRED'],
    ['an unknown extra action', [{ ...s3Read('x'), extra_actions: ['s3:GetObjekt'] }], 'UNKNOWN_ACTION'],
    [
      'a custom_iam action of no service',
      [
        {
          principal,
          generator_type: 'custom_iam',
          policy: [{ Effect: 'Allow', Action: 'nosuch:Thing', Resource: '*' }],
        },
      ],
      'UNKNOWN_SERVICE',
    ],
    [
      'a custom_iam statement with a Principal',
      [
        {
          principal,
          generator_type: 'custom_iam',
          policy: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: '*' }],
        },
      ],
      'POLICY_INVALID',
    ],
    [
      'crud_lookup without a service',
      [{ principal, generator_type: 'crud_lookup', resource_arn: '*', action_groups: ['read'] }],
      'SERVICE_NAME_REQUIRED',
    ],
    [
      'ses without from_address',
      [
        {
          principal,
          generator_type: 'ses',
          resource_arn: 'arn:aws:ses:us-east-1:111111111111:identity/x.com',
          action_groups: ['send_email'],
        },
      ],
      'FROM_ADDRESS_REQUIRED',
    ],
    [
      'two principals',
      [
        s3Read('x'),
        {
          ...s3Read('y'),
          principal: { principal_type: 'AwsResource', principal_arn: 'arn:aws:iam::111111111111:role/other' },
        },
      ],
      'MULTIPLE_PRINCIPALS',
    ],
    [
      'a principal that is no role or user',
      [
        {
          ...s3Read('x'),
          principal: { principal_type: 'AwsResource', principal_arn: 'arn:aws:s3:::bucket' },
        },
      ],
      'INVALID_PRINCIPAL_ARN',
    ],
    [
      'two policy names',
      [
        { ...s3Read('x'), policy_name: 'a' },
        { ...s3Read('y'), policy_name: 'b' },
      ],
      'MULTIPLE_POLICY_NAMES',
    ],
    [
      'two expiries',
      [
        { ...s3Read('x'), expires_in: '1h' },
        { ...s3Read('y'), expires_in: '2h' },
      ],
      'MULTIPLE_EXPIRIES',
    ],
  ];
  it.each(refusals)('refuses %s', async (_name, generators, code) => {
    let read = false;
    const outcome = await generateChanges(generators, () => {
      read = true;
      return Promise.resolve(roleState());
    });
    expect(outcome).toMatchObject({ ok: false, kind: 'invalid', code });
    expect(read).toBe(false);
  });

  it('points each problem at its generator and field', async () => {
    const outcome = await generate([s3Read('ok'), { principal, generator_type: 'lambda' }]);
    expect(outcome.ok ? '' : outcome.problems?.[0]?.message).toContain('s3, sqs, sns');
    expect(outcome).toMatchObject({
      ok: false,
      problems: [
        {
          code: 'UNKNOWN_GENERATOR_TYPE',
          change_index: 1,
          path: '/generator_type',
        },
      ],
    });
  });

  it('answers not_found for a principal the cache does not hold', async () => {
    const outcome = await generateChanges([s3Read('x')], () => Promise.resolve(undefined));
    expect(outcome).toMatchObject({
      ok: false,
      kind: 'not_found',
      code: 'PRINCIPAL_NOT_FOUND',
    });
  });
});

describe('the Rolecall-managed policy', () => {
  it('is recognised by the names prepareChanges gives', () => {
    const state = roleState({ 'rolecall-3f2a9c1d-0': {} });
    const [named] = prepareChanges(
      [{ change_type: 'inline_policy', principal, action: 'attach', policy: { policy_document: {} } }],
      () => state,
      '3f2a9c1d-7e4b-4c1a-9d2f-000000000000',
    );
    expect(named?.change_type === 'inline_policy' ? named.policy_name : undefined).toMatch(
      ROLECALL_POLICY_NAME,
    );
    expect(ROLECALL_POLICY_NAME.test('my-own-policy')).toBe(false);
  });

  it('minimizing drops pairs an identical existing statement grants, whatever the action’s case', () => {
    const statements = minimizeGrants(
      [{ effect: 'Allow', actions: ['s3:GetObject', 's3:PutObject'], resources: ['arn:aws:s3:::b/*'] }],
      [{ Effect: 'Allow', Action: 's3:getobject', Resource: 'arn:aws:s3:::b/*' }],
    );
    expect(statements).toEqual([
      { Effect: 'Allow', Action: ['s3:PutObject'], Resource: ['arn:aws:s3:::b/*'] },
    ]);
  });
});
