import {
  CreateGroupCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  GetGroupPolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListAttachedGroupPoliciesCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListPolicyTagsCommand,
  ListPolicyVersionsCommand,
  ListRoleTagsCommand,
  ListUserTagsCommand,
} from '@aws-sdk/client-iam';
import {
  CreateBucketCommand,
  GetBucketPolicyCommand,
  GetBucketTaggingCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  CreateTopicCommand,
  GetTopicAttributesCommand,
  ListTagsForResourceCommand,
  SNSClient,
} from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ListQueueTagsCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { STSClient } from '@aws-sdk/client-sts';
import { assumeRole, awsClientConfig } from '@rolecall/shared/aws';
import type { ChangeModel } from '@rolecall/shared/contracts';
import { AppError } from '@rolecall/shared/errors';
import {
  MOTO_CREDENTIALS,
  seedDemoOrganization,
  startCountingProxy,
  type CountingProxy,
  startTestEnvironment,
  type DemoOrganization,
  type TestEnvironment,
} from '@rolecall/testing';
import type { AwsCredentialIdentity } from '@smithy/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createAwsChangeWriter,
  defaultTopicPolicy,
  type ChangeWriter,
} from '../src/adapters/aws-change-writer.js';
import { createSpokeClients, type SpokeClients } from '../src/adapters/spoke-clients.js';
import type { Write } from '../src/domain/policy-edit.js';
import { REGION } from './harness.js';

let env: TestEnvironment;
let org: DemoOrganization;
let prod: string;
let proxy: CountingProxy;
let spokes: SpokeClients;
let writer: ChangeWriter;
/** Clients acting in prod directly on moto (not through the proxy), to set up and read back. */
let iam: IAMClient;
let s3: S3Client;
let sqs: SQSClient;
let sns: SNSClient;

const trust = (principal: string) => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { AWS: principal }, Action: 'sts:AssumeRole' }],
});
const allow = (action: string, resource = '*', sid?: string) => ({
  Version: '2012-10-17',
  Statement: [{ ...(sid ? { Sid: sid } : {}), Effect: 'Allow', Action: action, Resource: resource }],
});
/** IAM answers documents URL-encoded. */
const parsed = (text: string | undefined) => {
  const value = text ?? '';
  return JSON.parse(value.startsWith('%') ? decodeURIComponent(value) : value) as unknown;
};

beforeAll(async () => {
  env = await startTestEnvironment();
  org = await seedDemoOrganization({
    endpointUrl: env.moto.url,
    memberAccountNames: ['prod'],
    withResources: false,
  });
  prod = org.accounts.find((a) => a.name === 'prod')?.id ?? '';
  proxy = await startCountingProxy(env.moto.url);
  spokes = createSpokeClients({
    aws: { region: REGION, endpointUrl: proxy.url, credentials: MOTO_CREDENTIALS },
    hubRoleArn: org.hubRoleArn,
    spokeRoleName: org.spokeRoleName,
    sessionName: 'rolecall-requests-test',
  });
  writer = createAwsChangeWriter({ spokes });

  const base = { region: REGION, endpointUrl: env.moto.url };
  const admin: AwsCredentialIdentity = await assumeRole(
    new STSClient(awsClientConfig('sts', { ...base, credentials: MOTO_CREDENTIALS })),
    { roleArn: `arn:aws:iam::${prod}:role/OrganizationAccountAccessRole`, sessionName: 'writer-test-setup' },
  );
  const inProd = { ...base, credentials: admin };
  iam = new IAMClient(awsClientConfig('iam', inProd));
  s3 = new S3Client(awsClientConfig('s3', inProd));
  sqs = new SQSClient(awsClientConfig('sqs', inProd));
  sns = new SNSClient(awsClientConfig('sns', inProd));
  await iam.send(
    new CreateRoleCommand({
      RoleName: 'writer-app',
      AssumeRolePolicyDocument: JSON.stringify(trust(`arn:aws:iam::${prod}:root`)),
    }),
  );
  await iam.send(new CreateUserCommand({ UserName: 'writer-user' }));
  await iam.send(new CreateGroupCommand({ GroupName: 'writer-group' }));
  await iam.send(
    new CreatePolicyCommand({ PolicyName: 'writer-boundary', PolicyDocument: JSON.stringify(allow('s3:*')) }),
  );
  await s3.send(new CreateBucketCommand({ Bucket: `writer-${prod}` }));
  await sqs.send(new CreateQueueCommand({ QueueName: 'writer-queue' }));
  await sns.send(new CreateTopicCommand({ Name: 'writer-topic' }));
});

afterAll(async () => {
  spokes?.destroy();
  for (const client of [iam, s3, sqs, sns]) client?.destroy();
  await proxy?.close();
  await env?.stop();
});

const roleArn = () => `arn:aws:iam::${prod}:role/writer-app`;
const userArn = () => `arn:aws:iam::${prod}:user/writer-user`;
const groupArn = () => `arn:aws:iam::${prod}:group/writer-group`;
const bucketArn = () => `arn:aws:s3:::writer-${prod}`;
const queueArn = () => `arn:aws:sqs:${REGION}:${prod}:writer-queue`;
const topicArn = () => `arn:aws:sns:${REGION}:${prod}:writer-topic`;
const boundaryArn = () => `arn:aws:iam::${prod}:policy/writer-boundary`;
const queuePolicy = async () =>
  (
    await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: `${env.moto.url}/${prod}/writer-queue`,
        AttributeNames: ['Policy'],
      }),
    )
  ).Attributes?.Policy;

/**
 * Writes once (it lands: `applied`, with `action` among the write calls that reached moto, and
 * `check` reading it back), then again: `unchanged`, and no write call reaches moto.
 */
async function writesOnce(write: Write, action: string, check: () => Promise<void>) {
  const first = proxy.writes().length;
  expect(await writer.write(write, prod)).toEqual({ outcome: 'applied' });
  expect(proxy.writes().slice(first)).toContain(action);
  await check();
  const second = proxy.writes().length;
  expect(await writer.write(write, prod)).toEqual({ outcome: 'unchanged' });
  expect(proxy.writes().slice(second)).toEqual([]);
}

describe('inline policies', () => {
  const document = allow('s3:GetObject', 'arn:aws:s3:::orders/*', 'RolecallAbC0S0');

  it.each([
    ['role', roleArn, 'PutRolePolicy', 'DeleteRolePolicy'],
    ['user', userArn, 'PutUserPolicy', 'DeleteUserPolicy'],
    ['group', groupArn, 'PutGroupPolicy', 'DeleteGroupPolicy'],
  ] as const)('puts and deletes an inline policy of a %s, each once', async (kind, arnOf, put, del) => {
    const principalArn = arnOf();
    const read = () =>
      kind === 'role'
        ? iam.send(new GetRolePolicyCommand({ RoleName: 'writer-app', PolicyName: 'orders-read' }))
        : kind === 'user'
          ? iam.send(new GetUserPolicyCommand({ UserName: 'writer-user', PolicyName: 'orders-read' }))
          : iam.send(new GetGroupPolicyCommand({ GroupName: 'writer-group', PolicyName: 'orders-read' }));
    await writesOnce(
      { op: 'put_inline_policy', principalArn, name: 'orders-read', document },
      put,
      async () => {
        expect(parsed((await read()).PolicyDocument)).toEqual(document);
      },
    );
    const widened = allow('s3:*', 'arn:aws:s3:::orders/*', 'RolecallAbC0S0');
    await writesOnce(
      { op: 'put_inline_policy', principalArn, name: 'orders-read', document: widened },
      put,
      async () => {
        expect(parsed((await read()).PolicyDocument)).toEqual(widened);
      },
    );
    await writesOnce({ op: 'delete_inline_policy', principalArn, name: 'orders-read' }, del, async () => {
      await expect(read()).rejects.toMatchObject({ name: 'NoSuchEntityException' });
    });
  });
});

describe('managed policy attachments and permissions boundaries', () => {
  it.each([
    ['role', roleArn, 'AttachRolePolicy', 'DetachRolePolicy'],
    ['user', userArn, 'AttachUserPolicy', 'DetachUserPolicy'],
    ['group', groupArn, 'AttachGroupPolicy', 'DetachGroupPolicy'],
  ] as const)(
    'attaches and detaches a managed policy of a %s, each once',
    async (kind, arnOf, attach, detach) => {
      const principalArn = arnOf();
      const attached = async () => {
        const result =
          kind === 'role'
            ? await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'writer-app' }))
            : kind === 'user'
              ? await iam.send(new ListAttachedUserPoliciesCommand({ UserName: 'writer-user' }))
              : await iam.send(new ListAttachedGroupPoliciesCommand({ GroupName: 'writer-group' }));
        return (result.AttachedPolicies ?? []).map((p) => p.PolicyArn);
      };
      const policyArn = boundaryArn();
      await writesOnce({ op: 'attach_managed_policy', principalArn, policyArn }, attach, async () => {
        expect(await attached()).toContain(policyArn);
      });
      await writesOnce({ op: 'detach_managed_policy', principalArn, policyArn }, detach, async () => {
        expect(await attached()).not.toContain(policyArn);
      });
    },
  );

  // Roles only: moto (5.2) has no PutUserPermissionsBoundary (it answers 500), so the writer's user
  // path (Put/DeleteUserPermissionsBoundary) is not exercised here.
  it('puts and deletes the permissions boundary of a role, each once', async () => {
    const principalArn = roleArn();
    const boundary = async () =>
      (await iam.send(new GetRoleCommand({ RoleName: 'writer-app' }))).Role?.PermissionsBoundary
        ?.PermissionsBoundaryArn;
    await writesOnce(
      { op: 'put_permissions_boundary', principalArn, policyArn: boundaryArn() },
      'PutRolePermissionsBoundary',
      async () => expect(await boundary()).toBe(boundaryArn()),
    );
    await writesOnce(
      { op: 'delete_permissions_boundary', principalArn },
      'DeleteRolePermissionsBoundary',
      async () => expect(await boundary()).toBeUndefined(),
    );
  });
});

describe('trust policies and tags', () => {
  it('updates a role trust policy once', async () => {
    const document = trust(`arn:aws:iam::${org.managementAccountId}:root`);
    await writesOnce(
      { op: 'update_assume_role_policy', roleArn: roleArn(), document },
      'UpdateAssumeRolePolicy',
      async () => {
        const { Role } = await iam.send(new GetRoleCommand({ RoleName: 'writer-app' }));
        expect(parsed(Role?.AssumeRolePolicyDocument)).toEqual(document);
      },
    );
  });

  it.each([
    ['role', roleArn, 'TagRole', 'UntagRole'],
    ['user', userArn, 'TagUser', 'UntagUser'],
    ['managed policy', boundaryArn, 'TagPolicy', 'UntagPolicy'],
    ['bucket', bucketArn, 'PUT tagging', 'DELETE tagging'],
    ['queue', queueArn, 'TagQueue', 'UntagQueue'],
    ['topic', topicArn, 'TagResource', 'UntagResource'],
  ] as const)('tags and untags a %s, each once', async (kind, arnOf, tag, untag) => {
    const arn = arnOf();
    const tags = async (): Promise<Record<string, string>> => {
      const pairs = (list: { Key?: string; Value?: string }[] | undefined): Record<string, string> =>
        Object.fromEntries((list ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
      switch (kind) {
        case 'role':
          return pairs((await iam.send(new ListRoleTagsCommand({ RoleName: 'writer-app' }))).Tags);
        case 'user':
          return pairs((await iam.send(new ListUserTagsCommand({ UserName: 'writer-user' }))).Tags);
        case 'managed policy':
          return pairs((await iam.send(new ListPolicyTagsCommand({ PolicyArn: arn }))).Tags);
        case 'bucket':
          return s3
            .send(new GetBucketTaggingCommand({ Bucket: `writer-${prod}` }))
            .then((r) => pairs(r.TagSet))
            .catch(() => ({}));
        case 'queue':
          return {
            ...(
              await sqs.send(new ListQueueTagsCommand({ QueueUrl: `${env.moto.url}/${prod}/writer-queue` }))
            ).Tags,
          };
        case 'topic':
          return pairs((await sns.send(new ListTagsForResourceCommand({ ResourceArn: arn }))).Tags);
      }
    };
    await writesOnce({ op: 'tag', arn, key: 'owner', value: 'team-data' }, tag, async () => {
      expect(await tags()).toMatchObject({ owner: 'team-data' });
    });
    await writesOnce({ op: 'untag', arn, key: 'owner' }, untag, async () => {
      expect(await tags()).not.toHaveProperty('owner');
    });
  });
});

describe('resource policies', () => {
  const grant = (resource: string) => ({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'RolecallAbC0S0',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${org.managementAccountId}:root` },
        Action: resource.startsWith('arn:aws:s3')
          ? 's3:GetObject'
          : resource.includes(':sqs:')
            ? 'sqs:SendMessage'
            : 'sns:Publish',
        Resource: resource.startsWith('arn:aws:s3') ? `${resource}/*` : resource,
      },
    ],
  });

  it('puts and deletes a bucket policy, each once', async () => {
    const document = grant(bucketArn());
    const read = () => s3.send(new GetBucketPolicyCommand({ Bucket: `writer-${prod}` }));
    await writesOnce(
      { op: 'put_resource_policy', resourceArn: bucketArn(), resourceType: 's3_bucket', document },
      'PUT policy',
      async () => expect(parsed((await read()).Policy)).toEqual(document),
    );
    await writesOnce(
      { op: 'delete_resource_policy', resourceArn: bucketArn(), resourceType: 's3_bucket' },
      'DELETE policy',
      async () => {
        await expect(read()).rejects.toMatchObject({ name: 'NoSuchBucketPolicy' });
      },
    );
  });

  it('puts and deletes a queue policy, each once', async () => {
    const document = grant(queueArn());
    await writesOnce(
      { op: 'put_resource_policy', resourceArn: queueArn(), resourceType: 'sqs_queue', document },
      'SetQueueAttributes',
      async () => expect(parsed(await queuePolicy())).toEqual(document),
    );
    await writesOnce(
      { op: 'delete_resource_policy', resourceArn: queueArn(), resourceType: 'sqs_queue' },
      'SetQueueAttributes',
      async () => expect(await queuePolicy()).toBeFalsy(),
    );
  });

  it('puts a topic policy once, and its deletion restores the default topic policy once', async () => {
    const document = grant(topicArn());
    const read = async () =>
      parsed((await sns.send(new GetTopicAttributesCommand({ TopicArn: topicArn() }))).Attributes?.Policy);
    await writesOnce(
      { op: 'put_resource_policy', resourceArn: topicArn(), resourceType: 'sns_topic', document },
      'SetTopicAttributes',
      async () => expect(await read()).toEqual(document),
    );
    await writesOnce(
      { op: 'delete_resource_policy', resourceArn: topicArn(), resourceType: 'sns_topic' },
      'SetTopicAttributes',
      async () => expect(await read()).toEqual(defaultTopicPolicy(topicArn(), prod)),
    );
  });
});

describe('customer managed policies', () => {
  it('creates a policy, then new default versions, keeping at most five', async () => {
    const policyArn = `arn:aws:iam::${prod}:policy/teams/writer-managed`;
    const defaultDocument = async () => {
      const { Policy } = await iam.send(new GetPolicyCommand({ PolicyArn: policyArn }));
      const { PolicyVersion } = await iam.send(
        new GetPolicyVersionCommand({ PolicyArn: policyArn, VersionId: Policy?.DefaultVersionId ?? '' }),
      );
      return parsed(PolicyVersion?.Document);
    };
    const v1 = allow('sqs:ReceiveMessage');
    await writesOnce({ op: 'create_managed_policy', policyArn, document: v1 }, 'CreatePolicy', async () => {
      expect(await defaultDocument()).toEqual(v1);
      const { Policy } = await iam.send(new GetPolicyCommand({ PolicyArn: policyArn }));
      expect(Policy?.Path).toBe('/teams/');
    });
    for (let n = 2; n <= 7; n += 1) {
      const document = allow(`sqs:ReceiveMessage${'s'.repeat(n)}`);
      await writesOnce(
        { op: 'create_managed_policy_version', policyArn, document },
        'CreatePolicyVersion',
        async () => {
          expect(await defaultDocument()).toEqual(document);
        },
      );
    }
    const { Versions = [] } = await iam.send(new ListPolicyVersionsCommand({ PolicyArn: policyArn }));
    expect(Versions).toHaveLength(5);
    expect(Versions.map((v) => v.VersionId)).not.toContain('v1');
  });
});

describe('reading the current state', () => {
  it('reads a role as the domain plans against it: inline policies, attachments, boundary, trust, tags', async () => {
    const document = allow('s3:ListBucket', 'arn:aws:s3:::orders');
    await writer.write(
      { op: 'put_inline_policy', principalArn: roleArn(), name: 'list-orders', document },
      prod,
    );
    await writer.write(
      { op: 'attach_managed_policy', principalArn: roleArn(), policyArn: boundaryArn() },
      prod,
    );
    await writer.write({ op: 'tag', arn: roleArn(), key: 'team', value: 'payments' }, prod);
    const change: ChangeModel = {
      change_type: 'inline_policy',
      principal: { principal_type: 'AwsResource', principal_arn: roleArn() },
      action: 'attach',
      policy_name: 'list-orders',
    };
    const state = await writer.readCurrent(change, prod);
    expect(state).toMatchObject({
      kind: 'principal',
      arn: roleArn(),
      accountId: prod,
      principalType: 'role',
      inlinePolicies: { 'list-orders': document },
      managedPolicies: [boundaryArn()],
      tags: { team: 'payments' },
    });
    expect(state.kind === 'principal' && state.assumeRolePolicy).toEqual(
      trust(`arn:aws:iam::${org.managementAccountId}:root`),
    );
  });

  it('reads a bucket without a policy as null, and a managed policy that does not exist yet as no document', async () => {
    const bucket = await writer.readCurrent(
      {
        change_type: 'resource_policy',
        principal: { principal_type: 'AwsResource', principal_arn: roleArn() },
        arn: bucketArn(),
        policy: { policy_document: {} },
      },
      prod,
    );
    expect(bucket).toMatchObject({ kind: 'resource', resourceType: 's3_bucket', policy: null });
    const policy = await writer.readCurrent(
      {
        change_type: 'managed_policy_resource',
        principal: { principal_type: 'AwsResource', principal_arn: `arn:aws:iam::${prod}:policy/not-yet` },
        policy: { policy_document: allow('s3:GetObject') },
      },
      prod,
    );
    expect(policy).toMatchObject({ kind: 'managed_policy', awsManaged: false, document: undefined });
  });
});

describe('refusals', () => {
  it('names the AWS error when the principal does not exist', async () => {
    const error = await writer
      .write(
        {
          op: 'put_inline_policy',
          principalArn: `arn:aws:iam::${prod}:role/missing`,
          name: 'p',
          document: allow('s3:GetObject'),
        },
        prod,
      )
      .then(
        () => undefined,
        (caught: unknown) => caught as AppError,
      );
    expect(error).toBeInstanceOf(AppError);
    expect(error?.code).toBe('NOT_FOUND');
    expect(error?.context.awsError).toMatch(/NoSuchEntity/);
    expect(error?.message).toContain('missing');
  });

  it('refuses a write whose ARN is in another account than the one it is made in', async () => {
    const mark = proxy.writes().length;
    await expect(
      writer.write(
        { op: 'tag', arn: `arn:aws:iam::${org.managementAccountId}:role/x`, key: 'k', value: 'v' },
        prod,
      ),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(proxy.writes().slice(mark)).toEqual([]);
  });
});
