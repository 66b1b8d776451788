import {
  CreateRoleCommand,
  GetRolePolicyCommand,
  ListRolePoliciesCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import {
  CreateBucketCommand,
  GetBucketPolicyCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assumeRole, awsClientConfig, type AssumedSession } from '@rolecall/shared/aws';
import {
  MOTO_CREDENTIALS,
  seedDemoOrganization,
  withMotoIamEnforced,
  type DemoAccount,
} from '@rolecall/testing';
import { iamIn } from './support/aws.js';
import { refresh, waitForCrawl } from './support/crawls.js';
import { eventually, startStack, type Stack } from './support/stack.js';

/*
 * The self-service wizard end to end: what generate_changes produces is submitted, approved and applied,
 * and then the role's own credentials, with moto checking IAM, really do the S3 reads it asked for, in
 * its own account and in another; a second generate for the role merges into the same Rolecall-managed
 * policy. moto checks identity policies (and a bucket policy's Deny), not a bucket policy's Allow, so the
 * other account's generated bucket policy is proved by reading it back from S3.
 */

const ADMIN = { user: 'admin@example.com', groups: ['admins'] };
const ALICE = { user: 'alice@example.com', groups: ['engineering'] };
const ROLE = 'wizard-reader';

interface InlineChange {
  change_type: 'inline_policy';
  policy_name?: string;
  new?: boolean;
  policy: { policy_document: { Statement: { Action: string[]; Resource: string[] }[] } };
}

describe('the self-service wizard: generate, request, approve, and the role can really read', () => {
  let stack: Stack;
  let account: DemoAccount;
  let other: DemoAccount;
  let iam: IAMClient;
  let roleArn: string;
  const ownBucket = () => `wizard-own-${account.id}`;
  const otherBucket = () => `wizard-other-${other.id}`;

  const call = async (path: string, init: { method?: string; body?: unknown } = {}, who = ALICE) => {
    const response = await stack.api(path, { ...init, ...who });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const generate = (generators: Record<string, unknown>[]) =>
    call('/api/v2/generate_changes', { method: 'POST', body: { changes: generators } });
  const s3Read = (bucket: string, prefix: string) => ({
    principal: { principal_type: 'AwsResource', principal_arn: roleArn },
    generator_type: 's3',
    resource_arn: `arn:aws:s3:::${bucket}`,
    bucket_prefix: prefix,
    action_groups: ['list', 'read'],
  });
  /** Generates, submits as alice, and has the admin approve; returns the generated change and the request. */
  const generateAndApprove = async (generator: Record<string, unknown>) => {
    const generated = await generate([generator]);
    expect(generated, JSON.stringify(generated.body)).toMatchObject({ status: 200 });
    const changes = generated.body.changes as InlineChange[];
    const created = await call('/api/v2/request', {
      method: 'POST',
      body: { justification: 'the wizard said so', changes: { changes } },
    });
    expect(created, JSON.stringify(created.body)).toMatchObject({
      status: 200,
      body: { request_created: true },
    });
    const id = created.body.request_id as string;
    const approved = await call(
      `/api/v2/requests/${id}`,
      { method: 'PUT', body: { modification_model: { command: 'approve_request' } } },
      ADMIN,
    );
    expect(approved, JSON.stringify(approved.body)).toMatchObject({ status: 200, body: { errors: 0 } });
    const request = JSON.parse((await call(`/api/v2/requests/${id}`, {}, ADMIN)).body.request as string) as {
      request_status: string;
      changes: { changes: { change_type: string; status: string; arn?: string }[] };
    };
    return { change: changes[0]!, request };
  };
  const inlinePolicies = async () =>
    (await iam.send(new ListRolePoliciesCommand({ RoleName: ROLE }))).PolicyNames ?? [];
  /** Waits for the cache (what generate_changes reads) to show the role's inline policies as IAM has them. */
  const cacheShowsPolicies = (names: string[]) =>
    eventually(
      async () => {
        const role = await call(`/api/v2/roles/${account.id}/${ROLE}`, {}, ADMIN);
        const cached = (role.body.inline_policies as { PolicyName: string }[] | undefined)?.map(
          (p) => p.PolicyName,
        );
        return JSON.stringify(cached?.sort()) === JSON.stringify([...names].sort()) ? cached : undefined;
      },
      () => `the cache never showed ${names.join(', ')} on ${roleArn}`,
      30_000,
    );

  let roleCredentials: AssumedSession;
  const roleS3 = () =>
    new S3Client({
      ...awsClientConfig('s3', {
        region: 'us-east-1',
        endpointUrl: stack.env.moto.url,
        credentials: roleCredentials,
      }),
      forcePathStyle: true,
    });
  /** What the role's own credentials get from S3 while moto enforces IAM: the body, or the error's name. */
  const asTheRole = (bucket: string, key: string) =>
    withMotoIamEnforced(stack.env.moto.url, async () => {
      const s3 = roleS3();
      const attempt = async <T>(run: () => Promise<T>) => {
        try {
          return await run();
        } catch (error) {
          return (error as { name?: string }).name ?? 'error';
        }
      };
      const object = await attempt(async () =>
        (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString(),
      );
      const listing = await attempt(async () =>
        ((await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? [])
          .map((o) => o.Key)
          .sort(),
      );
      s3.destroy();
      return { object, listing };
    });

  const setupS3 = async (accountId: string) => {
    const sts = new STSClient(
      awsClientConfig('sts', {
        region: 'us-east-1',
        endpointUrl: stack.env.moto.url,
        credentials: MOTO_CREDENTIALS,
      }),
    );
    const credentials = await assumeRole(sts, {
      roleArn: `arn:aws:iam::${accountId}:role/RolecallTestSetup`,
      sessionName: 'test-setup',
    });
    return new S3Client({
      ...awsClientConfig('s3', { region: 'us-east-1', endpointUrl: stack.env.moto.url, credentials }),
      forcePathStyle: true,
    });
  };
  const bucketWith = async (s3: S3Client, bucket: string, objects: Record<string, string>) => {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    for (const [key, body] of Object.entries(objects)) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    }
  };

  beforeAll(async () => {
    stack = await startStack({ config: { log: { level: 'warn' } } });
    const org = await seedDemoOrganization({ endpointUrl: stack.env.moto.url, region: 'us-east-1' });
    const members = org.accounts.filter((a) => a.id !== org.managementAccountId);
    account = members[0]!;
    other = members[1]!;
    roleArn = `arn:aws:iam::${account.id}:role/${ROLE}`;
    iam = await iamIn(stack.env.moto.url, account.id);
    // A role with no policy at all: whatever it can read afterwards, the generated change granted.
    await iam.send(
      new CreateRoleCommand({
        RoleName: ROLE,
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${account.id}:root` },
              Action: 'sts:AssumeRole',
            },
          ],
        }),
      }),
    );
    // Buckets without the demo's DenyInsecureTransport statement, which moto applies even over https.
    await bucketWith(await setupS3(account.id), ownBucket(), {
      'reports/q1.csv': 'q1 figures',
      'private/salaries.csv': 'not for the wizard',
    });
    await bucketWith(await setupS3(other.id), otherBucket(), {
      'shared/data.csv': 'shared with the other account',
    });
    const requestedAt = new Date().toISOString();
    await waitForCrawl(stack, await refresh(stack), requestedAt);
    const sts = new STSClient(
      awsClientConfig('sts', {
        region: 'us-east-1',
        endpointUrl: stack.env.moto.url,
        credentials: MOTO_CREDENTIALS,
      }),
    );
    roleCredentials = await assumeRole(sts, { roleArn, sessionName: 'wizard-test' });
  }, 240_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('refuses the reads before anything is granted, with moto enforcing IAM', async () => {
    expect(await asTheRole(ownBucket(), 'reports/q1.csv')).toEqual({
      object: 'AccessDenied',
      listing: 'AccessDenied',
    });
  });

  let managedPolicy: string;

  it("generates an s3 read change whose approval lets the role's credentials read under the prefix, and only there", async () => {
    const { change, request } = await generateAndApprove(s3Read(ownBucket(), 'reports/*'));
    expect(change).toMatchObject({ change_type: 'inline_policy', new: true });
    const statements = change.policy.policy_document.Statement;
    expect(statements.find((s) => s.Action.includes('s3:ListBucket'))?.Resource).toEqual([
      `arn:aws:s3:::${ownBucket()}`,
    ]);
    expect(statements.find((s) => s.Action.includes('s3:GetObject'))?.Resource).toEqual([
      `arn:aws:s3:::${ownBucket()}/reports/*`,
    ]);
    expect(request.request_status).toBe('approved');
    const names = await inlinePolicies();
    expect(names).toHaveLength(1);
    managedPolicy = names[0]!;
    expect(managedPolicy).toMatch(/^rolecall-/);
    // The recrawl that follows the approval reads IAM with the services' credentials: it must be done
    // before moto enforces IAM for the role's reads below, or moto refuses it too.
    await cacheShowsPolicies([managedPolicy]);

    expect(await asTheRole(ownBucket(), 'reports/q1.csv')).toEqual({
      object: 'q1 figures',
      listing: ['private/salaries.csv', 'reports/q1.csv'],
    });
    expect((await asTheRole(ownBucket(), 'private/salaries.csv')).object).toBe('AccessDenied');
  });

  it("generates a cross-account read: the other account's bucket policy is generated and applied, the role reads the bucket, and the grant merges into the same policy", async () => {
    expect((await asTheRole(otherBucket(), 'shared/data.csv')).object).toBe('AccessDenied');
    await cacheShowsPolicies([managedPolicy]);

    const { change, request } = await generateAndApprove(s3Read(otherBucket(), 'shared/'));
    expect(change).toMatchObject({ policy_name: managedPolicy, new: false });
    expect(request.changes.changes.map((c) => [c.change_type, c.status])).toEqual([
      ['inline_policy', 'applied'],
      ['resource_policy', 'applied'],
    ]);
    expect(request.changes.changes[1]?.arn).toBe(`arn:aws:s3:::${otherBucket()}`);

    const bucketPolicy = await (
      await setupS3(other.id)
    ).send(new GetBucketPolicyCommand({ Bucket: otherBucket() }));
    expect(JSON.stringify(JSON.parse(bucketPolicy.Policy ?? '{}'))).toContain(roleArn);

    expect(await inlinePolicies()).toEqual([managedPolicy]);
    const merged = await iam.send(new GetRolePolicyCommand({ RoleName: ROLE, PolicyName: managedPolicy }));
    const resources = (
      JSON.parse(decodeURIComponent(merged.PolicyDocument ?? '')) as {
        Statement: { Resource: string | string[] }[];
      }
    ).Statement.flatMap((s) => [s.Resource].flat());
    expect(resources).toEqual(
      expect.arrayContaining([
        `arn:aws:s3:::${ownBucket()}/reports/*`,
        `arn:aws:s3:::${otherBucket()}/shared/*`,
      ]),
    );

    expect(await asTheRole(otherBucket(), 'shared/data.csv')).toEqual({
      object: 'shared with the other account',
      listing: ['shared/data.csv'],
    });
    expect((await asTheRole(ownBucket(), 'reports/q1.csv')).object).toBe('q1 figures');
  });

  it('answers a generate that asks for nothing new with ALREADY_GRANTED', async () => {
    const names = await inlinePolicies();
    await cacheShowsPolicies(names);
    const again = await generate([s3Read(ownBucket(), 'reports/*')]);
    expect(again).toMatchObject({ status: 400, body: { reason: 'ALREADY_GRANTED' } });
  });

  describe('bad input is a 4xx with a stable code, and changes nothing', () => {
    const principal = () => ({ principal_type: 'AwsResource', principal_arn: roleArn });
    it.each([
      [
        'an unknown generator type',
        () => [{ principal: principal(), generator_type: 'lambda', action_groups: ['x'] }],
        400,
        'UNKNOWN_GENERATOR_TYPE',
      ],
      ['a malformed ARN', () => [{ ...s3Read('x', '/*'), resource_arn: 'arn:aws:s3' }], 400, 'INVALID_ARN'],
      [
        'an unknown action',
        () => [{ ...s3Read(ownBucket(), '/*'), extra_actions: ['s3:GetObjekt'] }],
        400,
        'UNKNOWN_ACTION',
      ],
      [
        'a principal the cache does not hold',
        () => [
          {
            ...s3Read(ownBucket(), '/*'),
            principal: {
              principal_type: 'AwsResource',
              principal_arn: `arn:aws:iam::${account.id}:role/nobody`,
            },
          },
        ],
        404,
        'PRINCIPAL_NOT_FOUND',
      ],
    ])('refuses %s', async (_name, generators, status, reason) => {
      const before = await inlinePolicies();
      const answer = await generate(generators());
      expect(answer).toMatchObject({ status, body: { reason } });
      expect(typeof answer.body.message).toBe('string');
      expect(await inlinePolicies()).toEqual(before);
    });

    it('refuses a 1 MB body with 413 BODY_TOO_LARGE', async () => {
      const answer = await generate([
        { ...s3Read(ownBucket(), '/*'), extra_actions: ['x'.repeat(1024 * 1024)] },
      ]);
      expect(answer).toMatchObject({ status: 413, body: { code: 'BODY_TOO_LARGE' } });
    });
  });

  describe('the wizard configuration', () => {
    it('offers s3 choices whose actions come from the IAM data', async () => {
      const config = await call('/api/v2/self_service_config');
      expect(config.status).toBe(200);
      const s3 = (
        config.body.permissions_map as Record<
          string,
          { action_map: { name: string; permissions: string[] }[] }
        >
      ).s3;
      const read = s3?.action_map.find((g) => g.name === 'read')?.permissions;
      expect(read).toEqual(expect.arrayContaining(['s3:GetObject', 's3:GetObjectVersion']));
      expect(read).not.toContain('s3:PutObject');
    });

    it('serves the default templates, and one saved in the dynamic config replaces its key', async () => {
      const before = await call('/api/v2/permission_templates');
      expect(before.status).toBe(200);
      const keys = (before.body.permission_templates as { key: string }[]).map((t) => t.key);
      expect(keys).toEqual(expect.arrayContaining(['default', 's3read', 'sqs']));

      const current = await call('/api/v2/dynamic_config', {}, ADMIN);
      const value = JSON.stringify({
        Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: 'arn:aws:s3:::team/*' }],
      });
      const refused = await call(
        '/api/v2/dynamic_config',
        {
          method: 'POST',
          body: {
            existing_sha256: current.body.sha256,
            new_config: `permission_templates:\n  - {key: s3read, text: Ours, value: 'not json'}\n`,
          },
        },
        ADMIN,
      );
      expect(refused.status).toBe(400);
      const saved = await call(
        '/api/v2/dynamic_config',
        {
          method: 'POST',
          body: {
            existing_sha256: current.body.sha256,
            new_config: `permission_templates:\n  - {key: s3read, text: Ours, value: '${value}'}\n`,
          },
        },
        ADMIN,
      );
      expect(saved.status, JSON.stringify(saved.body)).toBe(200);
      const after = await call('/api/v2/permission_templates');
      const templates = after.body.permission_templates as { key: string; text: string; value: string }[];
      expect(templates.filter((t) => t.key === 's3read')).toEqual([{ key: 's3read', text: 'Ours', value }]);
      expect(templates.length).toBe(keys.length);
    });
  });
});
