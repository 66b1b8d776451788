import { describe, expect, it } from 'vitest';
import type { AccessFacts, GroupFacts, PrincipalFacts, ResourceFacts } from './simulate-facts.js';
import { simulateAccess } from './simulate.js';

const A = '111111111111';
const B = '222222222222';
const doc = (...Statement: Record<string, unknown>[]) => ({ Version: '2012-10-17', Statement });
const readBucket = doc({
  Sid: 'Read',
  Effect: 'Allow',
  Action: 's3:GetObject',
  Resource: 'arn:aws:s3:::data/*',
});

function factsOf(state: {
  principals?: PrincipalFacts[];
  groups?: (GroupFacts & { accountId: string })[];
  managed?: Record<string, unknown>;
  resources?: ResourceFacts[];
}): AccessFacts {
  return {
    principal: (arn) => Promise.resolve(state.principals?.find((p) => p.arn === arn)),
    group: (accountId, name) =>
      Promise.resolve(state.groups?.find((g) => g.accountId === accountId && g.name === name)),
    managedPolicy: (arn) => Promise.resolve(state.managed?.[arn]),
    resource: (arn) => Promise.resolve(state.resources?.find((r) => r.arn === arn)),
  };
}

const role = (over: Partial<PrincipalFacts> = {}): PrincipalFacts => ({
  arn: `arn:aws:iam::${A}:role/app`,
  accountId: A,
  principalType: 'role',
  inlinePolicies: { read: readBucket },
  managedPolicies: [],
  ...over,
});
const bucket = (accountId: string, policy: unknown = null): ResourceFacts => ({
  arn: 'arn:aws:s3:::data',
  accountId,
  resourceType: 's3_bucket',
  policy,
});
const ask = {
  principal: `arn:aws:iam::${A}:role/app`,
  action: 's3:GetObject',
  resource: 'arn:aws:s3:::data/k',
};

async function answer(query: Parameters<typeof simulateAccess>[0], facts: AccessFacts) {
  const reply = await simulateAccess(query, facts);
  if (reply.outcome !== 'answered') throw new Error(`refused: ${reply.code} ${reply.message}`);
  return reply.answer;
}

describe('simulateAccess', () => {
  it('allows what an inline policy grants in the same account, naming the statement', async () => {
    const result = await answer(ask, factsOf({ principals: [role()], resources: [bucket(A)] }));
    expect(result).toMatchObject({ decision: 'allowed', allowed: true, reason: 'allowed' });
    expect(result.decidingStatements).toEqual([
      {
        source: 'inline policy read on role app',
        policyType: 'identity',
        statementIndex: 0,
        sid: 'Read',
        effect: 'Allow',
      },
    ]);
    expect(result.explanation).toContain('inline policy read on role app');
    expect(result.missing.some((m) => m.includes('service control policies'))).toBe(true);
  });

  it('denies outside the permissions boundary, naming it', async () => {
    const boundaryArn = `arn:aws:iam::${A}:policy/sqs-only`;
    const facts = factsOf({
      principals: [role({ permissionsBoundary: boundaryArn })],
      managed: { [boundaryArn]: doc({ Effect: 'Allow', Action: 'sqs:*', Resource: '*' }) },
      resources: [bucket(A)],
    });
    const result = await answer(ask, facts);
    expect(result).toMatchObject({ decision: 'denied', reason: 'permissions_boundary' });
    expect(result.explanation).toContain(boundaryArn);
  });

  it('needs the bucket policy for a bucket in another account, and allows once it grants', async () => {
    const without = await answer(ask, factsOf({ principals: [role()], resources: [bucket(B)] }));
    expect(without).toMatchObject({ decision: 'denied', reason: 'resource_policy', resourceAccount: B });
    const grant = doc({
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${A}:role/app` },
      Action: 's3:GetObject',
      Resource: 'arn:aws:s3:::data/*',
    });
    const withPolicy = await answer(ask, factsOf({ principals: [role()], resources: [bucket(B, grant)] }));
    expect(withPolicy.decision).toBe('allowed');
    expect(withPolicy.decidingStatements.map((s) => s.source)).toEqual([
      'inline policy read on role app',
      'bucket policy of data',
    ]);
  });

  it('says an uncached bucket is missing instead of guessing its account', async () => {
    const result = await answer(ask, factsOf({ principals: [role()] }));
    expect(result.missing.some((m) => m.includes('the bucket arn:aws:s3:::data is not in the cache'))).toBe(
      true,
    );
  });

  it('lets an explicit Deny in a managed policy win over an inline Allow', async () => {
    const denyArn = `arn:aws:iam::${A}:policy/no-s3`;
    const facts = factsOf({
      principals: [role({ managedPolicies: [denyArn] })],
      managed: {
        [denyArn]: doc(
          { Effect: 'Allow', Action: 'sqs:ListQueues', Resource: '*' },
          { Sid: 'NoS3', Effect: 'Deny', Action: 's3:*', Resource: '*' },
        ),
      },
      resources: [bucket(A)],
    });
    const result = await answer(ask, facts);
    expect(result).toMatchObject({ decision: 'denied', reason: 'explicit_deny' });
    expect(result.decidingStatements).toEqual([
      {
        source: `managed policy ${denyArn} on role app`,
        policyType: 'identity',
        policyArn: denyArn,
        statementIndex: 1,
        sid: 'NoS3',
        effect: 'Deny',
      },
    ]);
  });

  it('counts a user’s group policies and lists AWS managed policies it cannot read', async () => {
    const user: PrincipalFacts = {
      arn: `arn:aws:iam::${A}:user/bob`,
      accountId: A,
      principalType: 'user',
      inlinePolicies: {},
      managedPolicies: ['arn:aws:iam::aws:policy/ReadOnlyAccess'],
      groups: ['readers'],
    };
    const facts = factsOf({
      principals: [user],
      groups: [
        {
          accountId: A,
          arn: `arn:aws:iam::${A}:group/readers`,
          name: 'readers',
          inlinePolicies: { r: readBucket },
          managedPolicies: [],
        },
      ],
      resources: [bucket(A)],
    });
    const result = await answer({ ...ask, principal: user.arn }, facts);
    expect(result.decision).toBe('allowed');
    expect(result.decidingStatements[0]?.source).toBe('inline policy r on group readers');
    expect(
      result.missing.some((m) => m.includes('AWS managed policy arn:aws:iam::aws:policy/ReadOnlyAccess')),
    ).toBe(true);
  });

  it('evaluates sts:AssumeRole against the target role’s trust policy', async () => {
    const target = role({
      arn: `arn:aws:iam::${A}:role/target`,
      inlinePolicies: {},
      assumeRolePolicy: doc({
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${A}:role/app` },
        Action: 'sts:AssumeRole',
      }),
    });
    const query = { principal: ask.principal, action: 'sts:AssumeRole', resource: target.arn };
    const allowed = await answer(query, factsOf({ principals: [role(), target] }));
    expect(allowed.decision).toBe('allowed');
    expect(allowed.decidingStatements[0]?.source).toBe('trust policy of role target');
    const untrusted = await answer(
      query,
      factsOf({
        principals: [
          role(),
          {
            ...target,
            assumeRolePolicy: doc({
              Effect: 'Allow',
              Principal: { Service: 'ec2.amazonaws.com' },
              Action: 'sts:AssumeRole',
            }),
          },
        ],
      }),
    );
    expect(untrusted).toMatchObject({ decision: 'denied', reason: 'implicit_deny' });
  });

  it('evaluates an assumed-role session as its role and says the session policy is unknown', async () => {
    const result = await answer(
      { ...ask, principal: `arn:aws:sts::${A}:assumed-role/app/alice` },
      factsOf({ principals: [role()], resources: [bucket(A)] }),
    );
    expect(result).toMatchObject({ decision: 'allowed', evaluatedPrincipal: `arn:aws:iam::${A}:role/app` });
    expect(result.missing.some((m) => m.includes('session policy'))).toBe(true);
  });

  it('answers a principal that is not cached as denied and says so', async () => {
    const result = await answer(ask, factsOf({}));
    expect(result).toMatchObject({ decision: 'denied', reason: 'principal_not_found' });
    expect(result.missing[0]).toContain('is not in the cache');
  });

  it('refuses unknown actions, malformed principals and resources the action does not take', async () => {
    const facts = factsOf({ principals: [role()] });
    const refused = async (query: typeof ask) => {
      const reply = await simulateAccess(query, facts);
      return reply.outcome === 'refused' ? reply.code : 'answered';
    };
    expect(await refused({ ...ask, action: 's3:GetObjekt' })).toBe('UNKNOWN_ACTION');
    expect(await refused({ ...ask, principal: 'arn:aws:s3:::data' })).toBe('INVALID_PRINCIPAL');
    expect(await refused({ ...ask, resource: 'arn:aws:s3:::data/*' })).toBe('INVALID_RESOURCE');
    expect(await refused({ ...ask, resource: `arn:aws:sqs:us-east-1:${A}:q` })).toBe(
      'RESOURCE_DOES_NOT_MATCH_ACTION',
    );
  });

  it('says which given context keys do not apply, and uses the ones that do', async () => {
    const conditional = role({
      inlinePolicies: {
        read: doc({
          Effect: 'Allow',
          Action: 's3:GetObject',
          Resource: 'arn:aws:s3:::data/*',
          Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } },
        }),
      },
    });
    const facts = factsOf({ principals: [conditional], resources: [bucket(A)] });
    const inside = await answer({ ...ask, context: { 'aws:SourceIp': '10.1.2.3', 'sqs:Nope': 'x' } }, facts);
    expect(inside.decision).toBe('allowed');
    expect(inside.ignoredContextKeys).toEqual(['sqs:Nope']);
    const outside = await answer({ ...ask, context: { 'aws:SourceIp': '192.0.2.1' } }, facts);
    expect(outside.decision).toBe('denied');
  });
});
