import {
  CreateAccessKeyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  IAMClient,
  AttachRolePolicyCommand,
  PutRolePermissionsBoundaryCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import {
  CreateBucketCommand,
  GetObjectCommand,
  PutBucketPolicyCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@smithy/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assumeRole, awsClientConfig } from '@rolecall/shared/aws';
import { MOTO_CREDENTIALS } from '@rolecall/testing';
import { refresh, waitForCrawl } from './support/crawls.js';
import { eventually, startStack, type Stack } from './support/stack.js';

/*
 * "Could this principal do that?" against moto-backed cached state, each case set beside what moto itself
 * does when the same role's credentials make the call.
 *
 * This file's moto enforces IAM: INITIAL_NO_AUTH_ACTION_COUNT lets exactly the BOOTSTRAP_CALLS below
 * through unchecked (an administrator user for the services and the test, a setup role in the second
 * account), and checks every later request. What moto 5.2 enforces, found by trying it (and readable in
 * moto/iam/access_control.py): a caller's inline and attached managed policies (and a user's groups'),
 * with an explicit Deny winning, on S3 (bucket and object ARNs) and on the services whose calls go through
 * its IAM check; for sts:AssumeRole in the same account also the role's trust policy, by exact principal
 * ARN. It does NOT evaluate permissions boundaries, S3 bucket policies (nor any resource policy, across
 * accounts included) or SCPs. So where the simulation follows AWS's rules and moto does not, the test
 * asserts moto's answer too, so that a moto that starts enforcing them shows up here.
 */

const A = '123456789012';
const B = '210987654321';
const ENDPOINT_REGION = 'us-east-1';
/** Unchecked requests the bootstrap makes, in order; every request after them is checked by moto. */
const BOOTSTRAP_CALLS = 6;
const ADMIN_USER = 'rolecall-admin';
const suffix = Math.random().toString(36).slice(2, 8);
const BUCKET_A = `sim-a-${suffix}`;
const BUCKET_B = `sim-b-${suffix}`;
const KEY = 'data/report.csv';
const roleArn = (name: string) => `arn:aws:iam::${A}:role/${name}`;
const objectArn = (bucket: string) => `arn:aws:s3:::${bucket}/${KEY}`;
const doc = (...Statement: Record<string, unknown>[]) => JSON.stringify({ Version: '2012-10-17', Statement });
const ALL = doc({ Effect: 'Allow', Action: '*', Resource: '*' });
const ADMIN = { user: 'admin@example.com', groups: ['admins'] };
const ALICE = { user: 'alice@example.com', groups: ['engineering'] };

interface Answer {
  decision: string;
  allowed: boolean;
  reason: string;
  explanation: string;
  decidingStatements: { source: string; statementIndex: number; sid?: string; effect: string }[];
  missing: string[];
  resourceAccount?: string;
  afterRequest?: string;
}

let stack: Stack;
let admin: AwsCredentialIdentity;
let inB: AwsCredentialIdentity;

const iam = (credentials: AwsCredentialIdentity) =>
  new IAMClient(
    awsClientConfig('iam', { region: ENDPOINT_REGION, endpointUrl: stack.env.moto.url, credentials }),
  );
const s3 = (credentials: AwsCredentialIdentity) =>
  new S3Client({
    ...awsClientConfig('s3', { region: ENDPOINT_REGION, endpointUrl: stack.env.moto.url, credentials }),
    forcePathStyle: true,
  });

/** Credentials of `role` in account A, assumed by the administrator user (its trust policy names it). */
async function credentialsOf(role: string): Promise<AwsCredentialIdentity> {
  const sts = new STSClient(
    awsClientConfig('sts', { region: ENDPOINT_REGION, endpointUrl: stack.env.moto.url, credentials: admin }),
  );
  return assumeRole(sts, { roleArn: roleArn(role), sessionName: 'simulation-check' });
}

/** Whether moto lets `role` read the object: true when GetObject answers, false on AccessDenied. */
async function motoAllows(role: string, bucket: string): Promise<boolean> {
  try {
    const object = await s3(await credentialsOf(role)).send(
      new GetObjectCommand({ Bucket: bucket, Key: KEY }),
    );
    await object.Body?.transformToString();
    return true;
  } catch (error) {
    if ((error as { name?: string }).name === 'AccessDenied') return false;
    throw error;
  }
}

async function simulate(body: Record<string, unknown>, who = ALICE): Promise<Answer> {
  const response = await stack.api('/api/v3/access/simulate', { method: 'POST', body, ...who });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`simulate answered ${response.status}: ${text}`);
  return JSON.parse(text) as Answer;
}

async function recrawl(accountIds: string[], resourceTypes: string[]) {
  const requestedAt = new Date().toISOString();
  await waitForCrawl(stack, await refresh(stack, { accountIds, resourceTypes }), requestedAt);
}

/** The unchecked requests: exactly BOOTSTRAP_CALLS of them. Returns the administrator user's keys. */
async function bootstrap(endpointUrl: string) {
  const anonymous = { region: ENDPOINT_REGION, endpointUrl, credentials: MOTO_CREDENTIALS };
  const iamA = new IAMClient(awsClientConfig('iam', anonymous));
  await iamA.send(new CreateUserCommand({ UserName: ADMIN_USER }));
  await iamA.send(new PutUserPolicyCommand({ UserName: ADMIN_USER, PolicyName: 'all', PolicyDocument: ALL }));
  const key = (await iamA.send(new CreateAccessKeyCommand({ UserName: ADMIN_USER }))).AccessKey;
  // moto lets any role ARN be assumed; the role must exist before its session's first checked request.
  inB = await assumeRole(new STSClient(awsClientConfig('sts', anonymous)), {
    roleArn: `arn:aws:iam::${B}:role/setup`,
    sessionName: 'simulation-setup',
  });
  const iamB = new IAMClient(
    awsClientConfig('iam', { region: ENDPOINT_REGION, endpointUrl, credentials: inB }),
  );
  await iamB.send(
    new CreateRoleCommand({
      RoleName: 'setup',
      AssumeRolePolicyDocument: doc({
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${A}:root` },
        Action: 'sts:AssumeRole',
      }),
    }),
  );
  await iamB.send(new PutRolePolicyCommand({ RoleName: 'setup', PolicyName: 'all', PolicyDocument: ALL }));
  if (!key?.AccessKeyId || !key.SecretAccessKey) throw new Error('moto gave no access key');
  admin = { accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey };
  return admin;
}

/** Everything else, as the administrator (account A) and the setup role (account B), all checked by moto. */
async function seed() {
  const trustAdmin = doc({
    Effect: 'Allow',
    Principal: { AWS: [`arn:aws:iam::${A}:user/${ADMIN_USER}`, `arn:aws:iam::${A}:root`] },
    Action: 'sts:AssumeRole',
  });
  for (const credentials of [admin, inB]) {
    await iam(credentials).send(
      new CreateRoleCommand({ RoleName: 'RolecallSpoke', AssumeRolePolicyDocument: trustAdmin }),
    );
    await iam(credentials).send(
      new PutRolePolicyCommand({ RoleName: 'RolecallSpoke', PolicyName: 'all', PolicyDocument: ALL }),
    );
  }
  for (const [credentials, bucket] of [
    [admin, BUCKET_A],
    [inB, BUCKET_B],
  ] as const) {
    await s3(credentials).send(new CreateBucketCommand({ Bucket: bucket }));
    await s3(credentials).send(new PutObjectCommand({ Bucket: bucket, Key: KEY, Body: 'a,b\n' }));
  }
  const iamA = iam(admin);
  const read = doc({
    Sid: 'ReadReports',
    Effect: 'Allow',
    Action: 's3:GetObject',
    Resource: [`arn:aws:s3:::${BUCKET_A}/*`, `arn:aws:s3:::${BUCKET_B}/*`],
  });
  for (const name of ['reader', 'bounded', 'denied', 'grantee']) {
    await iamA.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trustAdmin }));
    if (name !== 'grantee') {
      await iamA.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: 'read', PolicyDocument: read }));
    }
  }
  const sqsOnly = await iamA.send(
    new CreatePolicyCommand({
      PolicyName: 'sqs-only',
      PolicyDocument: doc({ Effect: 'Allow', Action: 'sqs:*', Resource: '*' }),
    }),
  );
  await iamA.send(
    new PutRolePermissionsBoundaryCommand({ RoleName: 'bounded', PermissionsBoundary: sqsOnly.Policy?.Arn }),
  );
  const noReads = await iamA.send(
    new CreatePolicyCommand({
      PolicyName: 'no-report-reads',
      PolicyDocument: doc(
        { Effect: 'Allow', Action: 'sqs:ListQueues', Resource: '*' },
        { Sid: 'NoReports', Effect: 'Deny', Action: 's3:GetObject', Resource: `arn:aws:s3:::${BUCKET_A}/*` },
      ),
    }),
  );
  await iamA.send(new AttachRolePolicyCommand({ RoleName: 'denied', PolicyArn: noReads.Policy?.Arn }));
}

beforeAll(async () => {
  stack = await startStack({
    services: ['cache', 'crawler', 'requests', 'gateway'],
    moto: { env: { INITIAL_NO_AUTH_ACTION_COUNT: String(BOOTSTRAP_CALLS) } },
    prepare: (env) => bootstrap(env.moto.url),
    config: {
      accounts: {
        source: 'static',
        static: [
          { id: A, name: 'apps' },
          { id: B, name: 'data' },
        ],
      },
      aws: { regions: ['us-east-1'] },
    },
  });
  await seed();
  await recrawl([A, B], ['iam', 's3']);
}, 240_000);

afterAll(async () => {
  await stack?.stop();
});

describe('POST /api/v3/access/simulate against the cache, beside what moto allows', () => {
  it('moto enforces IAM in this file: the default credentials are refused', async () => {
    const refused = await s3(MOTO_CREDENTIALS)
      .send(new GetObjectCommand({ Bucket: BUCKET_A, Key: KEY }))
      .then(
        () => 'allowed',
        (error: { name?: string }) => error.name,
      );
    expect(refused).toBe('InvalidAccessKeyId');
  });

  it('allows what an identity policy grants, as moto does', async () => {
    const answer = await simulate({
      principal: roleArn('reader'),
      action: 's3:GetObject',
      resource: objectArn(BUCKET_A),
    });
    expect(answer).toMatchObject({
      decision: 'allowed',
      allowed: true,
      reason: 'allowed',
      resourceAccount: A,
    });
    expect(answer.decidingStatements).toEqual([
      {
        source: 'inline policy read on role reader',
        policyType: 'identity',
        statementIndex: 0,
        sid: 'ReadReports',
        effect: 'Allow',
      },
    ]);
    expect(await motoAllows('reader', BUCKET_A)).toBe(true);
  });

  it('lets an explicit Deny win over the Allow, as moto does', async () => {
    const answer = await simulate({
      principal: roleArn('denied'),
      action: 's3:GetObject',
      resource: objectArn(BUCKET_A),
    });
    expect(answer).toMatchObject({ decision: 'denied', reason: 'explicit_deny' });
    expect(answer.decidingStatements).toEqual([
      expect.objectContaining({
        source: `managed policy arn:aws:iam::${A}:policy/no-report-reads on role denied`,
        statementIndex: 1,
        sid: 'NoReports',
        effect: 'Deny',
      }),
    ]);
    expect(await motoAllows('denied', BUCKET_A)).toBe(false);
  });

  it('denies outside the permissions boundary, which moto does not evaluate', async () => {
    const answer = await simulate({
      principal: roleArn('bounded'),
      action: 's3:GetObject',
      resource: objectArn(BUCKET_A),
    });
    expect(answer).toMatchObject({ decision: 'denied', reason: 'permissions_boundary' });
    expect(answer.explanation).toContain(`permissions boundary arn:aws:iam::${A}:policy/sqs-only`);
    // AWS refuses this call; moto 5.2 ignores boundaries and lets it through.
    expect(await motoAllows('bounded', BUCKET_A)).toBe(true);
  });

  it('needs the bucket policy of a bucket in another account: denied while missing, allowed once present', async () => {
    const query = { principal: roleArn('reader'), action: 's3:GetObject', resource: objectArn(BUCKET_B) };
    const before = await simulate(query);
    expect(before).toMatchObject({ decision: 'denied', reason: 'resource_policy', resourceAccount: B });
    expect(before.explanation).toContain(`account ${B}`);
    // AWS refuses this call without a grant in the bucket policy; moto 5.2 does not evaluate bucket policies.
    expect(await motoAllows('reader', BUCKET_B)).toBe(true);

    await s3(inB).send(
      new PutBucketPolicyCommand({
        Bucket: BUCKET_B,
        Policy: doc({
          Sid: 'AppsRead',
          Effect: 'Allow',
          Principal: { AWS: roleArn('reader') },
          Action: 's3:GetObject',
          Resource: `arn:aws:s3:::${BUCKET_B}/*`,
        }),
      }),
    );
    await recrawl([B], ['s3']);
    const after = await simulate(query);
    expect(after).toMatchObject({ decision: 'allowed', resourceAccount: B });
    expect(after.decidingStatements.map((s) => s.source)).toEqual([
      'inline policy read on role reader',
      `bucket policy of ${BUCKET_B}`,
    ]);
    expect(await motoAllows('reader', BUCKET_B)).toBe(true);
  }, 120_000);

  it('answers "after this request is applied" before approval, and the applied request agrees with moto', async () => {
    const query = { principal: roleArn('grantee'), action: 's3:GetObject', resource: objectArn(BUCKET_A) };
    expect(await simulate(query)).toMatchObject({ decision: 'denied', reason: 'implicit_deny' });
    expect(await motoAllows('grantee', BUCKET_A)).toBe(false);

    const created = await stack.api('/api/v2/request', {
      method: 'POST',
      ...ALICE,
      body: {
        justification: 'read the reports',
        changes: {
          changes: [
            {
              change_type: 'inline_policy',
              action: 'attach',
              policy_name: 'reports-read',
              principal: { principal_type: 'AwsResource', principal_arn: roleArn('grantee') },
              policy: {
                policy_document: {
                  Version: '2012-10-17',
                  Statement: [
                    { Effect: 'Allow', Action: ['s3:GetObject'], Resource: [`arn:aws:s3:::${BUCKET_A}/*`] },
                  ],
                },
              },
            },
          ],
        },
      },
    });
    expect(created.status).toBe(200);
    const requestId = ((await created.json()) as { request_id: string }).request_id;

    const preview = await simulate({ ...query, request_id: requestId });
    expect(preview).toMatchObject({ decision: 'allowed', afterRequest: requestId });
    expect(preview.decidingStatements[0]?.source).toBe('inline policy reports-read on role grantee');
    // Nothing was applied: the cache and AWS still refuse it.
    expect(await simulate(query)).toMatchObject({ decision: 'denied' });
    expect(await motoAllows('grantee', BUCKET_A)).toBe(false);

    const approved = await stack.api(`/api/v2/requests/${requestId}`, {
      method: 'PUT',
      ...ADMIN,
      body: { modification_model: { command: 'approve_request' } },
    });
    expect(approved.status).toBe(200);
    await eventually(async () => {
      const response = await stack.api(`/api/v2/requests/${requestId}`, ADMIN);
      const body = (await response.json()) as { request: string };
      return (JSON.parse(body.request) as { request_status: string }).request_status === 'approved'
        ? true
        : undefined;
    }, 'the request to be applied');
    expect(await motoAllows('grantee', BUCKET_A)).toBe(true);
    await recrawl([A], ['iam']);
    expect(await simulate(query)).toMatchObject({ decision: 'allowed', reason: 'allowed' });
  }, 120_000);

  it('refuses malformed questions with a stable code and changes nothing', async () => {
    const ask = async (body: unknown) => {
      const response = await stack.api('/api/v3/access/simulate', { method: 'POST', body, ...ALICE });
      return { status: response.status, body: (await response.json()) as { code: string; reason?: string } };
    };
    const base = { principal: roleArn('reader'), action: 's3:GetObject', resource: objectArn(BUCKET_A) };
    expect(await ask({ ...base, principal: `arn:aws:s3:::${BUCKET_A}` })).toMatchObject({
      status: 400,
      body: { code: 'INVALID_ARN', reason: 'INVALID_PRINCIPAL' },
    });
    expect(await ask({ ...base, principal: 'reader' })).toMatchObject({
      status: 400,
      body: { code: 'VALIDATION_FAILED' },
    });
    expect(await ask({ ...base, action: 's3:GetObjekt' })).toMatchObject({
      status: 400,
      body: { code: 'VALIDATION_FAILED', reason: 'UNKNOWN_ACTION' },
    });
    expect(await ask({ ...base, request_id: 'no-such-request' })).toMatchObject({
      status: 404,
      body: { code: 'NOT_FOUND', reason: 'REQUEST_NOT_FOUND' },
    });
  });
});

describe('POST /api/v3/access-denied', () => {
  const post = (body: unknown) => stack.api('/api/v3/access-denied', { method: 'POST', body, ...ALICE });

  it('turns an AccessDenied into a request that POST /api/v2/request accepts', async () => {
    const message = `An error occurred (AccessDenied) when calling the GetObject operation: User: arn:aws:sts::${A}:assumed-role/grantee/simulation-check is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::${BUCKET_B}/${KEY}" because no identity-based policy allows the s3:GetObject action`;
    const response = await post({ message });
    expect(response.status).toBe(200);
    const answer = (await response.json()) as {
      canRequest: boolean;
      grantee: string;
      request: Record<string, unknown>;
    };
    expect(answer).toMatchObject({
      canRequest: true,
      grantee: roleArn('grantee'),
      deniedBy: 'no_identity_policy',
    });
    const dryRun = await stack.api('/api/v2/request', {
      method: 'POST',
      ...ALICE,
      body: { ...answer.request, dry_run: true },
    });
    const text = await dryRun.text();
    expect(dryRun.status, text).toBe(200);
    // The bucket is in account B: the dry run carries the bucket-policy change Rolecall generates there.
    expect(text).toContain('resource_policy');
  });

  it('answers an SCP denial with why a grant would not help', async () => {
    const response = await post({
      message: `User: ${roleArn('reader')} is not authorized to perform: s3:PutObject on resource: arn:aws:s3:::${BUCKET_A}/x with an explicit deny in a service control policy`,
    });
    expect(await response.json()).toMatchObject({ canRequest: false, deniedBy: 'scp' });
  });

  it('answers text it cannot read with 200 and an explanation', async () => {
    const response = await post({ message: 'the build is red' });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      recognized: false,
      canRequest: false,
      deniedBy: 'unknown',
    });
  });

  it('refuses an empty message, one that is not a string, and a 1 MB one with a 4xx', async () => {
    expect((await post({ message: '' })).status).toBe(400);
    const notString = await post({ message: 42 });
    expect(notString.status).toBe(400);
    expect(((await notString.json()) as { code: string }).code).toBe('VALIDATION_FAILED');
    const huge = await post({ message: 'x'.repeat(1024 * 1024) });
    expect(huge.status).toBe(413);
    expect(((await huge.json()) as { code: string }).code).toBe('BODY_TOO_LARGE');
    const long = await post({ message: 'x'.repeat(100_000) });
    expect(long.status).toBe(400);
  });
});
