import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayApp } from '../src/routes/deps.js';
import { startSeededGateway, type SeededGateway } from './support/seeded-gateway.js';
import { ACCOUNTS, USER, demoItems } from './seed.js';

let gateway: SeededGateway | undefined;
let app: GatewayApp;

beforeAll(async () => {
  gateway = await startSeededGateway({
    prefix: 'gw-check:',
    seed: { items: demoItems(), accounts: ACCOUNTS },
  });
  ({ app } = gateway);
});

afterAll(async () => {
  await gateway?.stop();
});

const check = (payload: unknown, headers: Record<string, string> = USER) =>
  app.inject({ method: 'POST', url: '/api/v2/policies/check', headers, payload: payload as object });

const bucketPolicy = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }],
};

describe('POST /api/v2/policies/check', () => {
  it('answers the findings of an identity policy by default, for any signed-in user', async () => {
    const response = await check({
      policy: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: ['s3:GetObjekt', 'iam:PassRole'], Resource: '*' }],
      },
    });
    expect(response.statusCode).toBe(200);
    const { findings } = response.json<{
      findings: { code: string; path: string; statementIndex: number }[];
    }>();
    expect(findings.map((f) => [f.code, f.path])).toEqual([
      ['UNKNOWN_ACTION', '$.Statement[0].Action[0]'],
      ['PRIVILEGE_ESCALATION', '$.Statement[0].Action[1]'],
    ]);
  });

  it('checks JSON text as a resource policy and finds it public', async () => {
    const response = await check({ policy: JSON.stringify(bucketPolicy), policy_type: 'resource' });
    expect(response.statusCode).toBe(200);
    expect(response.json<{ findings: { code: string }[] }>().findings.map((f) => f.code)).toEqual([
      'PUBLIC_RESOURCE_POLICY',
    ]);
  });

  it('reports actions that can act on none of the given resource ARNs', async () => {
    const response = await check({
      policy: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '*' }],
      },
      resource_arns: ['arn:aws:s3:::b/*'],
    });
    expect(response.json<{ findings: { code: string }[] }>().findings.map((f) => f.code)).toEqual([
      'ACTION_NOT_FOR_RESOURCES',
    ]);
  });

  it('answers a document that is not JSON with a finding, not an error', async () => {
    const response = await check({ policy: '{"Version": ' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ findings: [{ code: 'INVALID_JSON', path: '$' }] });
  });

  it('refuses a caller who is not signed in', async () => {
    const response = await check({ policy: bucketPolicy }, {});
    expect(response.statusCode).toBe(401);
  });

  it.each([
    ['a number for the policy', { policy: 42 }, 400, 'VALIDATION_FAILED'],
    ['an unknown policy type', { policy: bucketPolicy, policy_type: 'scp' }, 400, 'VALIDATION_FAILED'],
    ['an unknown field', { policy: bucketPolicy, extra: true }, 400, 'VALIDATION_FAILED'],
    [
      'a malformed resource ARN',
      { policy: bucketPolicy, resource_arns: ['arn:aws:s3:bucket'] },
      400,
      'INVALID_ARN',
    ],
    ['a 100 kB document as text', { policy: 'x'.repeat(100_000) }, 400, 'VALIDATION_FAILED'],
    [
      'a 100 kB document as an object',
      { policy: { Version: '2012-10-17', Statement: [], Padding: 'x'.repeat(100_000) } },
      400,
      'VALIDATION_FAILED',
    ],
    ['a 1 MB document', { policy: 'x'.repeat(1_000_000) }, 413, 'BODY_TOO_LARGE'],
  ])('answers %s with %i %s', async (_label, payload, status, code) => {
    const response = await check(payload);
    expect(response.statusCode).toBe(status);
    const body = response.json<{ code: string; message: string }>();
    expect(body.code).toBe(code);
    expect(body.message.length).toBeGreaterThan(10);
  });
});
