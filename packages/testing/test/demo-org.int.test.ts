import {
  GetAccountAuthorizationDetailsCommand,
  IAMClient,
  ListAccountAliasesCommand,
  type GetAccountAuthorizationDetailsCommandOutput,
} from '@aws-sdk/client-iam';
import { ListAccountsCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import {
  GetBucketLocationCommand,
  GetBucketPolicyCommand,
  GetBucketTaggingCommand,
  ListBucketsCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  GetTopicAttributesCommand,
  ListTagsForResourceCommand,
  ListTopicsCommand,
  SNSClient,
} from '@aws-sdk/client-sns';
import {
  GetQueueAttributesCommand,
  ListQueuesCommand,
  ListQueueTagsCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@smithy/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assumeRole, awsClientConfig } from '@rolecall/shared/aws';
import {
  AUTHORIZED_CLI_ONLY_TAG,
  AUTHORIZED_TAG,
  DEMO_QUEUE_NAMES,
  DEMO_ROLE_CATALOGUE_SIZE,
  DEMO_TOPIC_NAMES,
  DEMO_USERS,
  MOTO_CREDENTIALS,
  demoBucketNames,
  seedDemoOrganization,
  startTestEnvironment,
  type DemoOrganization,
  type TestEnvironment,
} from '@rolecall/testing';

const REGIONS = ['us-east-1', 'us-west-2'];

describe('demo organization seed', () => {
  let env: TestEnvironment;
  let org: DemoOrganization;
  const base = () => ({ region: 'us-east-1', endpointUrl: env.moto.url });

  const credentialsFor = (accountId: string): Promise<AwsCredentialIdentity> =>
    assumeRole(new STSClient(awsClientConfig('sts', { ...base(), credentials: MOTO_CREDENTIALS })), {
      roleArn: `arn:aws:iam::${accountId}:role/test-reader`,
      sessionName: 'demo-org-test',
    });

  const authorizationDetails = async (accountId: string) => {
    const iam = new IAMClient(
      awsClientConfig('iam', { ...base(), credentials: await credentialsFor(accountId) }),
    );
    const details: Required<
      Pick<
        GetAccountAuthorizationDetailsCommandOutput,
        'RoleDetailList' | 'UserDetailList' | 'GroupDetailList' | 'Policies'
      >
    > = { RoleDetailList: [], UserDetailList: [], GroupDetailList: [], Policies: [] };
    let Marker: string | undefined;
    do {
      const page = await iam.send(
        new GetAccountAuthorizationDetailsCommand({
          Filter: ['Role', 'User', 'Group', 'LocalManagedPolicy'],
          ...(Marker ? { Marker } : {}),
        }),
      );
      details.RoleDetailList.push(...(page.RoleDetailList ?? []));
      details.UserDetailList.push(...(page.UserDetailList ?? []));
      details.GroupDetailList.push(...(page.GroupDetailList ?? []));
      details.Policies.push(...(page.Policies ?? []));
      Marker = page.IsTruncated ? page.Marker : undefined;
    } while (Marker);
    return details;
  };

  /** Everything the seed creates in one account, reduced to names and counts that must not drift. */
  const inventory = async (accountId: string) => {
    const credentials = await credentialsFor(accountId);
    const details = await authorizationDetails(accountId);
    const s3 = new S3Client(awsClientConfig('s3', { ...base(), credentials }));
    const buckets = (await s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name).sort();
    const regional: Record<string, { queues: string[]; topics: string[] }> = {};
    for (const region of REGIONS) {
      const sqs = new SQSClient(awsClientConfig('sqs', { ...base(), region, credentials }));
      const sns = new SNSClient(awsClientConfig('sns', { ...base(), region, credentials }));
      regional[region] = {
        queues: ((await sqs.send(new ListQueuesCommand({}))).QueueUrls ?? []).sort(),
        topics: ((await sns.send(new ListTopicsCommand({}))).Topics ?? [])
          .map((t) => t.TopicArn ?? '')
          .sort(),
      };
    }
    return {
      roles: details.RoleDetailList.map((r) => `${r.Path}${r.RoleName}`).sort(),
      roleTagCount: details.RoleDetailList.reduce((n, r) => n + (r.Tags?.length ?? 0), 0),
      users: details.UserDetailList.map(
        (u) => `${u.UserName}:${(u.GroupList ?? []).sort().join(',')}`,
      ).sort(),
      groups: details.GroupDetailList.map((g) => g.GroupName).sort(),
      policies: details.Policies.map((p) => `${p.Arn}@${p.PolicyVersionList?.length}`).sort(),
      buckets,
      regional,
    };
  };

  beforeAll(async () => {
    env = await startTestEnvironment({ moto: { loadAwsManagedPolicies: true } });
    org = await seedDemoOrganization({ endpointUrl: env.moto.url });
  });
  afterAll(async () => {
    await env?.stop();
  });

  it('creates an organization of the management account and four named member accounts', async () => {
    const organizations = new OrganizationsClient(
      awsClientConfig('organizations', { ...base(), credentials: MOTO_CREDENTIALS }),
    );
    const listed = (await organizations.send(new ListAccountsCommand({}))).Accounts ?? [];
    expect(org.managementAccountId).toBe('123456789012');
    expect(org.accounts).toHaveLength(5);
    expect(org.accounts.map((a) => a.name).slice(1)).toEqual(['prod', 'staging', 'dev', 'security']);
    for (const account of org.accounts) {
      expect(account.id).toMatch(/^\d{12}$/);
      expect(listed.find((a) => a.Id === account.id)?.Name).toBe(account.name);
    }
    expect(new Set(org.accounts.map((a) => a.id)).size).toBe(5);
    expect(org.hubRoleArn).toBe('arn:aws:iam::123456789012:role/RolecallHub');
    expect(org.demoUsers.map((u) => u.email)).toEqual(
      expect.arrayContaining(['admin@example.com', 'alice@example.com', 'bob@example.com']),
    );
    const iam = new IAMClient(awsClientConfig('iam', { ...base(), credentials: MOTO_CREDENTIALS }));
    expect((await iam.send(new ListAccountAliasesCommand({}))).AccountAliases).toEqual(['management']);
  });

  it('gives every account tagged roles naming the demo users and groups, and a spoke role trusting the hub', async () => {
    const principals = new Set(DEMO_USERS.flatMap((u) => [u.email, ...u.groups]));
    for (const account of org.accounts) {
      const { RoleDetailList: roles } = await authorizationDetails(account.id);
      const tagged = roles.filter((r) =>
        r.Tags?.some((t) => t.Key === AUTHORIZED_TAG || t.Key === AUTHORIZED_CLI_ONLY_TAG),
      );
      expect(tagged.length).toBeGreaterThanOrEqual(15);
      expect(tagged.length).toBe(DEMO_ROLE_CATALOGUE_SIZE);
      const named = tagged.flatMap((r) =>
        (r.Tags ?? [])
          .filter((t) => t.Key === AUTHORIZED_TAG || t.Key === AUTHORIZED_CLI_ONLY_TAG)
          .flatMap((t) => (t.Value ?? '').split(':')),
      );
      for (const value of named) expect(principals).toContain(value);
      expect(named).toEqual(
        expect.arrayContaining(['admins', 'alice@example.com', 'bob@example.com', 'data']),
      );
      expect(tagged.some((r) => r.Tags?.some((t) => t.Key === AUTHORIZED_CLI_ONLY_TAG))).toBe(true);

      expect(roles.filter((r) => r.PermissionsBoundary?.PermissionsBoundaryArn).length).toBeGreaterThan(2);
      expect(roles.filter((r) => r.Path !== '/').length).toBeGreaterThan(3);
      expect(roles.filter((r) => (r.RolePolicyList ?? []).length > 0).length).toBeGreaterThan(3);
      const admin = roles.find((r) => r.RoleName === 'admin');
      expect(admin?.AttachedManagedPolicies?.map((p) => p.PolicyArn)).toEqual([
        'arn:aws:iam::aws:policy/AdministratorAccess',
      ]);
      const analyst = roles.find((r) => r.RoleName === 'data-analyst');
      expect(analyst?.AttachedManagedPolicies?.[0]?.PolicyArn).toBe(
        `arn:aws:iam::${account.id}:policy/data/DataLakeRead`,
      );
      const trust = JSON.parse(decodeURIComponent(analyst?.AssumeRolePolicyDocument ?? '{}')) as {
        Statement: { Principal: { AWS: string[] } }[];
      };
      expect(trust.Statement[0]?.Principal.AWS).toContain(org.hubRoleArn);
      const worker = roles.find((r) => r.RoleName === 'payments-worker');
      expect(decodeURIComponent(worker?.AssumeRolePolicyDocument ?? '')).toContain('lambda.amazonaws.com');

      const spoke = roles.find((r) => r.RoleName === 'RolecallSpoke');
      const spokeTrust = decodeURIComponent(spoke?.AssumeRolePolicyDocument ?? '');
      expect(JSON.parse(spokeTrust)).toMatchObject({
        Statement: [{ Effect: 'Allow', Principal: { AWS: org.hubRoleArn }, Action: 'sts:AssumeRole' }],
      });
      const spokePolicy = decodeURIComponent(spoke?.RolePolicyList?.[0]?.PolicyDocument ?? '');
      expect(spokePolicy).toContain('iam:GetAccountAuthorizationDetails');
      expect(spokePolicy).toContain('iam:PutRolePolicy');
      expect(spokePolicy.includes('organizations:ListAccounts')).toBe(account.management);
      expect(roles.some((r) => r.RoleName === 'RolecallHub')).toBe(account.management);
    }
  });

  it('gives every account users in groups and customer managed policies with several versions', async () => {
    for (const account of org.accounts) {
      const details = await authorizationDetails(account.id);
      expect(details.UserDetailList.length).toBeGreaterThanOrEqual(4);
      const alice = details.UserDetailList.find((u) => u.UserName === 'alice');
      expect(alice?.GroupList?.sort()).toEqual(['deployers', 'developers']);
      const ci = details.UserDetailList.find((u) => u.UserName === 'ci-bot');
      expect(ci?.UserPolicyList?.map((p) => p.PolicyName)).toEqual(['push-artifacts']);
      expect(ci?.AttachedManagedPolicies?.map((p) => p.PolicyName)).toEqual(['DeployPipeline']);
      expect(details.GroupDetailList.map((g) => g.GroupName).sort()).toEqual([
        'auditors',
        'deployers',
        'developers',
      ]);
      // moto leaves PolicyName out of GetAccountAuthorizationDetails, so policies are matched by ARN.
      const dataLake = details.Policies.find((p) => p.Arn?.endsWith(':policy/data/DataLakeRead'));
      expect(dataLake?.PolicyVersionList).toHaveLength(3);
      expect(dataLake?.DefaultVersionId).toBe('v3');
      expect(details.Policies.map((p) => p.Arn?.split('/').pop()).sort()).toEqual([
        'DataLakeRead',
        'DemoPermissionsBoundary',
        'DeployPipeline',
        'PaymentsQueueAccess',
      ]);
    }
  });

  it('gives every account buckets, queues and topics with policies and tags in both regions', async () => {
    for (const account of org.accounts) {
      const credentials = await credentialsFor(account.id);
      const s3 = new S3Client(awsClientConfig('s3', { ...base(), credentials }));
      const names = demoBucketNames(account.id);
      const listed = (await s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name);
      expect(listed?.sort()).toEqual(Object.values(names).sort());
      for (const bucket of Object.values(names)) {
        const policy = await s3.send(new GetBucketPolicyCommand({ Bucket: bucket }));
        expect(policy.Policy).toContain('aws:SecureTransport');
        const tagging = await s3.send(new GetBucketTaggingCommand({ Bucket: bucket }));
        expect(tagging.TagSet).toContainEqual({ Key: 'environment', Value: account.name });
      }
      const location = await s3.send(new GetBucketLocationCommand({ Bucket: names.logs }));
      expect(location.LocationConstraint).toBe('us-west-2');

      for (const region of REGIONS) {
        const sqs = new SQSClient(awsClientConfig('sqs', { ...base(), region, credentials }));
        const queues = (await sqs.send(new ListQueuesCommand({}))).QueueUrls ?? [];
        expect(queues.map((q) => q.split('/').pop()).sort()).toEqual([...DEMO_QUEUE_NAMES].sort());
        for (const QueueUrl of queues) {
          expect(QueueUrl).toContain(account.id);
          const attributes = await sqs.send(
            new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['Policy'] }),
          );
          expect(attributes.Attributes?.Policy).toContain(`arn:aws:sns:${region}:${account.id}:order-events`);
          const queueTags = await sqs.send(new ListQueueTagsCommand({ QueueUrl }));
          expect(queueTags.Tags?.environment).toBe(account.name);
        }
        const sns = new SNSClient(awsClientConfig('sns', { ...base(), region, credentials }));
        const topics = ((await sns.send(new ListTopicsCommand({}))).Topics ?? []).map(
          (t) => t.TopicArn ?? '',
        );
        expect(topics.sort()).toEqual(
          DEMO_TOPIC_NAMES.map((n) => `arn:aws:sns:${region}:${account.id}:${n}`).sort(),
        );
        for (const TopicArn of topics) {
          const attributes = await sns.send(new GetTopicAttributesCommand({ TopicArn }));
          expect(attributes.Attributes?.Policy).toContain('cloudwatch.amazonaws.com');
          const topicTags = await sns.send(new ListTagsForResourceCommand({ ResourceArn: TopicArn }));
          expect(topicTags.Tags).toContainEqual({ Key: 'environment', Value: account.name });
        }
      }
    }
  });

  it('changes nothing when run a second time: same account ids, same contents', async () => {
    const before = await Promise.all(org.accounts.map((a) => inventory(a.id)));
    const again = await seedDemoOrganization({ endpointUrl: env.moto.url });
    expect(again).toEqual(org);
    const after = await Promise.all(org.accounts.map((a) => inventory(a.id)));
    expect(after).toEqual(before);
    expect(before[1]?.roles.length).toBeGreaterThanOrEqual(DEMO_ROLE_CATALOGUE_SIZE + 1);
  });

  it('adds plain bulk roles up to rolesPerAccount, tagged for the hub, without touching other accounts', async () => {
    const dev = org.accounts.find((a) => a.name === 'dev');
    const prod = org.accounts.find((a) => a.name === 'prod');
    const prodBefore = await inventory(prod?.id ?? '');
    const result = await seedDemoOrganization({
      endpointUrl: env.moto.url,
      memberAccountNames: ['dev'],
      rolesPerAccount: 60,
      withResources: false,
      concurrency: 8,
    });
    expect(result.accounts.map((a) => a.name)).toEqual([org.accounts[0]?.name, 'dev']);
    const { RoleDetailList: roles } = await authorizationDetails(dev?.id ?? '');
    const bulk = roles.filter((r) => r.Path === '/bulk/');
    expect(bulk).toHaveLength(60 - DEMO_ROLE_CATALOGUE_SIZE);
    expect(bulk.map((r) => r.RoleName)).toContain('bulk-role-00041');
    expect(bulk.every((r) => r.Tags?.some((t) => t.Key === AUTHORIZED_TAG))).toBe(true);
    expect(await inventory(prod?.id ?? '')).toEqual(prodBefore);
  });
});
