import {
  AddUserToGroupCommand,
  AttachGroupPolicyCommand,
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreateAccountAliasCommand,
  CreateGroupCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  CreateUserCommand,
  GetPolicyCommand,
  IAMClient,
  ListAccountAliasesCommand,
  ListPolicyVersionsCommand,
  PutGroupPolicyCommand,
  PutRolePermissionsBoundaryCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  TagRoleCommand,
  TagUserCommand,
  paginateListGroups,
  paginateListPolicies,
  paginateListRoles,
  paginateListUsers,
  type Tag,
} from '@aws-sdk/client-iam';
import {
  CreateAccountCommand,
  CreateOrganizationCommand,
  DescribeCreateAccountStatusCommand,
  DescribeOrganizationCommand,
  OrganizationsClient,
  paginateListAccounts,
  type Account,
} from '@aws-sdk/client-organizations';
import {
  CreateBucketCommand,
  ListBucketsCommand,
  PutBucketPolicyCommand,
  PutBucketTaggingCommand,
  S3Client,
  type BucketLocationConstraint,
} from '@aws-sdk/client-s3';
import {
  CreateTopicCommand,
  SNSClient,
  SetTopicAttributesCommand,
  TagResourceCommand,
  paginateListTopics,
} from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueUrlCommand,
  SQSClient,
  SetQueueAttributesCommand,
  TagQueueCommand,
} from '@aws-sdk/client-sqs';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@smithy/types';
import pLimit from 'p-limit';
import { assumeRole, awsClientConfig } from '@rolecall/shared/aws';
import { MOTO_CREDENTIALS } from './servers.js';

/** A person the demo signs in as (trusted headers); the seed's role tags name these users and groups. */
export interface DemoUser {
  email: string;
  groups: readonly string[];
  /** One line shown by `npm run demo` and on the demo sign-in page. */
  description: string;
}

export const DEMO_USERS: readonly DemoUser[] = [
  {
    email: 'admin@example.com',
    groups: ['admins', 'engineering'],
    description: 'Administrator: sees every account and role, may refresh the cache and approve requests',
  },
  {
    email: 'alice@example.com',
    groups: ['engineering', 'payments'],
    description: 'Payments engineer: console and CLI roles for engineering and payments, one CLI-only role',
  },
  {
    email: 'bob@example.com',
    groups: ['data', 'readonly'],
    description: 'Data analyst: read-only and data roles, some of them for the CLI only',
  },
  {
    email: 'carol@example.com',
    groups: ['contractors'],
    description: 'Contractor: no role grants her group, so she sees what an unauthorized user sees',
  },
];

export const DEMO_MEMBER_ACCOUNT_NAMES = ['prod', 'staging', 'dev', 'security'] as const;
export const DEMO_HUB_ROLE_NAME = 'RolecallHub';
export const DEMO_SPOKE_ROLE_NAME = 'RolecallSpoke';
export const DEMO_REGIONS = ['us-east-1', 'us-west-2'] as const;
/** moto names the management account "master" and cannot rename it; the seed sets this IAM alias. */
export const DEMO_MANAGEMENT_ACCOUNT_ALIAS = 'management';

export const AUTHORIZED_TAG = 'consoleme-authorized';
export const AUTHORIZED_CLI_ONLY_TAG = 'consoleme-authorized-cli-only';

export interface SeedDemoOrganizationOptions {
  endpointUrl: string;
  /** Home region (STS, IAM, Organizations); regional resources go to DEMO_REGIONS. */
  region?: string;
  /** Management account credentials; moto's defaults act as 123456789012. */
  credentials?: AwsCredentialIdentity;
  memberAccountNames?: readonly string[];
  /**
   * Demo roles per account: the realistic catalogue first, then plain generated roles
   * (`bulk-role-00001`…) up to this number. Defaults to the catalogue's size (19).
   */
  rolesPerAccount?: number;
  /** Buckets, queues and topics; benchmarks that only need roles turn them off. */
  withResources?: boolean;
  /** AWS calls in flight at once per account, for bulk role creation. */
  concurrency?: number;
  /** Progress lines (one per account step); silent when absent. */
  onProgress?: (message: string) => void;
}

export interface DemoAccount {
  id: string;
  /** The name AWS Organizations reports (moto calls the management account "master"). */
  name: string;
  management: boolean;
}

export interface DemoOrganization {
  managementAccountId: string;
  organizationId: string;
  accounts: DemoAccount[];
  hubRoleArn: string;
  spokeRoleName: string;
  demoUsers: readonly DemoUser[];
}

interface PolicyDocument {
  Version: '2012-10-17';
  Statement: Record<string, unknown>[];
}

const doc = (...statements: Record<string, unknown>[]): string =>
  JSON.stringify({ Version: '2012-10-17', Statement: statements } satisfies PolicyDocument);

const serviceTrust = (service: string) =>
  doc({ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' });

/**
 * Roles users may broker trust the hub directly (DESIGN: brokering assumes the requested role with the
 * hub's credentials, SourceIdentity set to the user), and the account root for break-glass use.
 */
const hubTrust = (hubRoleArn: string, accountId: string) =>
  doc({
    Effect: 'Allow',
    Principal: { AWS: [hubRoleArn, `arn:aws:iam::${accountId}:root`] },
    Action: ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'],
  });

/** What the crawler needs in every account (kept in step with deploy/spoke-role.yaml). */
export const SPOKE_READ_ACTIONS = [
  'iam:GetAccountAuthorizationDetails',
  'iam:GetRole',
  'iam:GetRolePolicy',
  'iam:GetUser',
  'iam:GetPolicy',
  'iam:GetPolicyVersion',
  'iam:List*',
  's3:ListAllMyBuckets',
  's3:GetBucketLocation',
  's3:GetBucketPolicy',
  's3:GetBucketTagging',
  'sqs:ListQueues',
  'sqs:GetQueueAttributes',
  'sqs:ListQueueTags',
  'sns:ListTopics',
  'sns:GetTopicAttributes',
  'sns:ListTagsForResource',
  'config:ListDiscoveredResources',
  'config:BatchGetResourceConfig',
  'config:SelectResourceConfig',
] as const;

/** What applying an approved policy request needs (kept in step with deploy/spoke-role.yaml). */
export const SPOKE_WRITE_ACTIONS = [
  'iam:PutRolePolicy',
  'iam:DeleteRolePolicy',
  'iam:AttachRolePolicy',
  'iam:DetachRolePolicy',
  'iam:UpdateAssumeRolePolicy',
  'iam:TagRole',
  'iam:UntagRole',
  'iam:PutUserPolicy',
  'iam:DeleteUserPolicy',
  'iam:AttachUserPolicy',
  'iam:DetachUserPolicy',
  'iam:TagUser',
  'iam:UntagUser',
  'iam:PutRolePermissionsBoundary',
  'iam:DeleteRolePermissionsBoundary',
  'iam:PutUserPermissionsBoundary',
  'iam:DeleteUserPermissionsBoundary',
  'iam:GetUserPolicy',
  'iam:GetGroupPolicy',
  'iam:PutGroupPolicy',
  'iam:DeleteGroupPolicy',
  'iam:AttachGroupPolicy',
  'iam:DetachGroupPolicy',
  'iam:CreatePolicy',
  'iam:CreatePolicyVersion',
  'iam:DeletePolicyVersion',
  'iam:SetDefaultPolicyVersion',
  'iam:TagPolicy',
  'iam:UntagPolicy',
  'iam:CreateRole',
  'iam:DeleteRole',
  'iam:GetInstanceProfile',
  'iam:CreateInstanceProfile',
  'iam:DeleteInstanceProfile',
  'iam:AddRoleToInstanceProfile',
  'iam:RemoveRoleFromInstanceProfile',
  'iam:PassRole',
  's3:PutBucketPolicy',
  's3:DeleteBucketPolicy',
  's3:PutBucketTagging',
  'sqs:GetQueueUrl',
  'sqs:SetQueueAttributes',
  'sqs:TagQueue',
  'sqs:UntagQueue',
  'sns:SetTopicAttributes',
  'sns:TagResource',
  'sns:UntagResource',
  'config:TagResource',
  'config:UntagResource',
] as const;

const spokePolicy = (management: boolean) =>
  doc(
    { Sid: 'ReadForCrawling', Effect: 'Allow', Action: [...SPOKE_READ_ACTIONS], Resource: '*' },
    ...(management
      ? [
          {
            Sid: 'DiscoverAccounts',
            Effect: 'Allow',
            Action: ['organizations:ListAccounts', 'organizations:DescribeAccount'],
            Resource: '*',
          },
        ]
      : []),
    { Sid: 'ApplyApprovedRequests', Effect: 'Allow', Action: [...SPOKE_WRITE_ACTIONS], Resource: '*' },
  );

const hubPolicy = (spokeRoleName: string) =>
  doc(
    {
      Sid: 'AssumeSpokeRoles',
      Effect: 'Allow',
      Action: 'sts:AssumeRole',
      Resource: `arn:aws:iam::*:role/${spokeRoleName}`,
    },
    {
      Sid: 'BrokerUserRoles',
      Effect: 'Allow',
      Action: ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'],
      Resource: 'arn:aws:iam::*:role/*',
    },
    {
      Sid: 'DurableStore',
      Effect: 'Allow',
      Action: ['dynamodb:*'],
      Resource: 'arn:aws:dynamodb:*:*:table/rolecall_*',
    },
    {
      Sid: 'Snapshots',
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:PutObject', 's3:ListBucket', 's3:DeleteObject'],
      Resource: ['arn:aws:s3:::rolecall-snapshots', 'arn:aws:s3:::rolecall-snapshots/*'],
    },
  );

const tags = (record: Record<string, string>): Tag[] =>
  Object.entries(record).map(([Key, Value]) => ({ Key, Value }));

const authz = (console?: string, cliOnly?: string): Record<string, string> => ({
  ...(console ? { [AUTHORIZED_TAG]: console } : {}),
  ...(cliOnly ? { [AUTHORIZED_CLI_ONLY_TAG]: cliOnly } : {}),
});

interface ManagedPolicySpec {
  name: string;
  path: string;
  description: string;
  /** One document per version, oldest first; the last is the default. */
  versions: string[];
}

const managedPolicies = (account: DemoAccount): ManagedPolicySpec[] => [
  {
    name: 'DataLakeRead',
    path: '/data/',
    description: 'Read the data lake buckets',
    versions: [
      doc({ Effect: 'Allow', Action: ['s3:GetObject'], Resource: 'arn:aws:s3:::*-data/*' }),
      doc({ Effect: 'Allow', Action: ['s3:GetObject', 's3:ListBucket'], Resource: 'arn:aws:s3:::*-data*' }),
      doc(
        { Effect: 'Allow', Action: ['s3:GetObject', 's3:ListBucket'], Resource: 'arn:aws:s3:::*-data*' },
        { Effect: 'Allow', Action: ['glue:GetTable', 'glue:GetDatabase'], Resource: '*' },
      ),
    ],
  },
  {
    name: 'DeployPipeline',
    path: '/',
    description: 'What the CI deployer may change',
    versions: [
      doc({ Effect: 'Allow', Action: ['cloudformation:*'], Resource: '*' }),
      doc(
        { Effect: 'Allow', Action: ['cloudformation:*', 'ecs:UpdateService'], Resource: '*' },
        {
          Effect: 'Allow',
          Action: 'iam:PassRole',
          Resource: `arn:aws:iam::${account.id}:role/service/*`,
        },
      ),
    ],
  },
  {
    name: 'DemoPermissionsBoundary',
    path: '/boundaries/',
    description: 'Upper bound for service roles: no IAM, no Organizations',
    versions: [
      doc(
        { Effect: 'Allow', Action: '*', Resource: '*' },
        { Effect: 'Deny', Action: ['iam:*', 'organizations:*', 'account:*'], Resource: '*' },
      ),
    ],
  },
  {
    name: 'PaymentsQueueAccess',
    path: '/payments/',
    description: 'Send to and receive from the payments queues',
    versions: [
      doc({
        Effect: 'Allow',
        Action: ['sqs:SendMessage', 'sqs:ReceiveMessage', 'sqs:DeleteMessage'],
        Resource: `arn:aws:sqs:*:${account.id}:orders*`,
      }),
    ],
  },
];

const policyArn = (accountId: string, spec: Pick<ManagedPolicySpec, 'name' | 'path'>) =>
  `arn:aws:iam::${accountId}:policy${spec.path}${spec.name}`;

interface RoleSpec {
  name: string;
  path?: string;
  description: string;
  trust: string;
  tags: Record<string, string>;
  inline?: Record<string, string>;
  /** Customer managed policy names from `managedPolicies`. */
  customer?: string[];
  /** AWS managed policy names; attached only when moto was started with its managed policies loaded. */
  awsManaged?: string[];
  boundary?: boolean;
}

const roleCatalogue = (account: DemoAccount, hubRoleArn: string): RoleSpec[] => {
  const hub = hubTrust(hubRoleArn, account.id);
  const owner = (team: string) => ({ owner: team, environment: account.name });
  return [
    {
      name: 'admin',
      description: 'Full administrator access',
      trust: hub,
      tags: { ...owner('platform'), ...authz('admins') },
      awsManaged: ['AdministratorAccess'],
    },
    {
      name: 'readonly',
      description: 'Read-only access to everything',
      trust: hub,
      tags: { ...owner('platform'), ...authz('engineering:readonly', 'data') },
      awsManaged: ['ReadOnlyAccess'],
    },
    {
      name: 'poweruser',
      description: 'Everything but IAM and Organizations',
      trust: hub,
      tags: { ...owner('platform'), ...authz('admins:engineering') },
      awsManaged: ['PowerUserAccess'],
      boundary: true,
    },
    {
      name: 'payments-api',
      path: '/service/',
      description: 'The payments API tasks',
      trust: serviceTrust('ecs-tasks.amazonaws.com'),
      tags: { ...owner('payments'), ...authz('payments', 'alice@example.com') },
      customer: ['PaymentsQueueAccess'],
      inline: {
        'publish-order-events': doc({
          Effect: 'Allow',
          Action: 'sns:Publish',
          Resource: `arn:aws:sns:*:${account.id}:order-events`,
        }),
      },
      boundary: true,
    },
    {
      name: 'payments-worker',
      path: '/service/',
      description: 'Lambda that settles payments',
      trust: serviceTrust('lambda.amazonaws.com'),
      tags: { ...owner('payments'), ...authz(undefined, 'payments:alice@example.com') },
      customer: ['PaymentsQueueAccess'],
      awsManaged: ['service-role/AWSLambdaBasicExecutionRole'],
      boundary: true,
    },
    {
      name: 'payments-oncall',
      description: 'On-call engineers for the payments systems',
      trust: hub,
      tags: { ...owner('payments'), ...authz('payments:admins') },
      customer: ['PaymentsQueueAccess'],
      awsManaged: ['ReadOnlyAccess'],
    },
    {
      name: 'data-pipeline',
      path: '/service/',
      description: 'Glue jobs that load the data lake',
      trust: serviceTrust('glue.amazonaws.com'),
      tags: { ...owner('data'), ...authz(undefined, 'data') },
      customer: ['DataLakeRead'],
      inline: {
        'write-curated': doc({
          Effect: 'Allow',
          Action: ['s3:PutObject'],
          Resource: `arn:aws:s3:::rolecall-demo-${account.id}-data/curated/*`,
        }),
      },
      boundary: true,
    },
    {
      name: 'data-analyst',
      description: 'Query the data lake',
      trust: hub,
      tags: { ...owner('data'), ...authz('data:bob@example.com', 'readonly') },
      customer: ['DataLakeRead'],
    },
    {
      name: 'ci-deployer',
      path: '/automation/',
      description: 'Deployments from CI',
      trust: hub,
      tags: { ...owner('platform'), ...authz(undefined, 'engineering:admins') },
      customer: ['DeployPipeline'],
      boundary: true,
    },
    {
      name: 'lambda-basic-execution',
      path: '/service-role/',
      description: 'Default execution role for small functions',
      trust: serviceTrust('lambda.amazonaws.com'),
      tags: { ...owner('platform'), ...authz('admins') },
      awsManaged: ['service-role/AWSLambdaBasicExecutionRole'],
    },
    {
      name: 'ec2-app-server',
      path: '/service/',
      description: 'Instance role for the application servers',
      trust: serviceTrust('ec2.amazonaws.com'),
      tags: { ...owner('engineering'), ...authz('admins', 'engineering') },
      awsManaged: ['AmazonSSMManagedInstanceCore'],
      inline: {
        'read-config': doc({
          Effect: 'Allow',
          Action: ['ssm:GetParameter', 'ssm:GetParametersByPath'],
          Resource: `arn:aws:ssm:*:${account.id}:parameter/app/*`,
        }),
      },
      boundary: true,
    },
    {
      name: 'security-audit',
      description: 'Security team audits',
      trust: hub,
      tags: { ...owner('security'), ...authz('admins', 'readonly') },
      awsManaged: ['SecurityAudit'],
    },
    {
      name: 'support',
      description: 'Open and read AWS support cases',
      trust: hub,
      tags: { ...owner('platform'), ...authz('engineering:alice@example.com') },
      awsManaged: ['AWSSupportAccess'],
    },
    {
      name: 'incident-responder',
      description: 'Break-glass access during incidents',
      trust: hub,
      tags: { ...owner('security'), ...authz('admins:alice@example.com') },
      awsManaged: ['PowerUserAccess'],
      inline: {
        'deny-org-changes': doc({ Effect: 'Deny', Action: 'organizations:*', Resource: '*' }),
      },
      boundary: true,
    },
    {
      name: 's3-backup',
      path: '/service/',
      description: 'AWS Backup copies the buckets',
      trust: serviceTrust('backup.amazonaws.com'),
      tags: { ...owner('platform'), ...authz(undefined, 'admins') },
      inline: {
        'backup-buckets': doc({
          Effect: 'Allow',
          Action: ['s3:GetObject', 's3:ListBucket', 's3:GetBucketTagging'],
          Resource: `arn:aws:s3:::rolecall-demo-${account.id}-*`,
        }),
      },
    },
    {
      name: 'notifications-publisher',
      description: 'Publish operational notifications',
      trust: hub,
      tags: { ...owner('engineering'), ...authz('payments:engineering') },
      inline: {
        'publish-alerts': doc({
          Effect: 'Allow',
          Action: 'sns:Publish',
          Resource: `arn:aws:sns:*:${account.id}:alerts`,
        }),
      },
    },
    {
      name: 'config-recorder',
      path: '/service-role/',
      description: 'AWS Config recorder',
      trust: serviceTrust('config.amazonaws.com'),
      tags: { ...owner('security'), ...authz(undefined, 'admins') },
      awsManaged: ['service-role/AWS_ConfigRole'],
    },
    {
      name: 'bob-sandbox',
      description: "Bob's personal sandbox",
      trust: hub,
      tags: { ...owner('data'), ...authz('bob@example.com', 'bob@example.com') },
      awsManaged: ['ReadOnlyAccess'],
      inline: {
        'sandbox-bucket': doc({
          Effect: 'Allow',
          Action: 's3:*',
          Resource: `arn:aws:s3:::rolecall-demo-${account.id}-data/sandbox/bob/*`,
        }),
      },
    },
    {
      name: `app-${account.name}`,
      path: '/app/',
      description: `The ${account.name} application's operator role`,
      trust: hub,
      tags: { ...owner('engineering'), ...authz('engineering', 'data') },
      customer: ['DeployPipeline', 'DataLakeRead'],
    },
  ];
};

/** Size of the realistic role catalogue every account gets by default. */
export const DEMO_ROLE_CATALOGUE_SIZE = 19;

const bulkRoleName = (index: number) => `bulk-role-${String(index).padStart(5, '0')}`;

interface AccountClients {
  iam: IAMClient;
  s3: S3Client;
  sqs: Record<string, SQSClient>;
  sns: Record<string, SNSClient>;
}

/**
 * Builds (or completes) the demo organization in moto: look before create everywhere, so running it again
 * changes nothing and a run cut short is finished by the next one.
 */
export async function seedDemoOrganization(options: SeedDemoOrganizationOptions): Promise<DemoOrganization> {
  const region = options.region ?? 'us-east-1';
  const credentials = options.credentials ?? MOTO_CREDENTIALS;
  const base = { region, endpointUrl: options.endpointUrl, credentials };
  const progress = options.onProgress ?? (() => {});
  const concurrency = options.concurrency ?? 16;

  const sts = new STSClient(awsClientConfig('sts', base));
  const identity = await sts.send(new GetCallerIdentityCommand({}));
  const managementAccountId = identity.Account ?? '';
  const organizations = new OrganizationsClient(awsClientConfig('organizations', base));
  const organizationId = await ensureOrganization(organizations);
  const accounts = await ensureAccounts(organizations, {
    managementAccountId,
    names: options.memberAccountNames ?? DEMO_MEMBER_ACCOUNT_NAMES,
  });
  progress(`organization ${organizationId}: ${accounts.map((a) => `${a.name} (${a.id})`).join(', ')}`);

  const hubRoleArn = `arn:aws:iam::${managementAccountId}:role/${DEMO_HUB_ROLE_NAME}`;
  const seedAccount = async (account: DemoAccount) => {
    const accountCredentials = await assumeRole(sts, {
      roleArn: `arn:aws:iam::${account.id}:role/OrganizationAccountAccessRole`,
      sessionName: 'rolecall-demo-seed',
    });
    const clients = accountClients({ ...base, credentials: accountCredentials });
    await seedAccountContents(clients, account, {
      hubRoleArn,
      rolesPerAccount: options.rolesPerAccount ?? DEMO_ROLE_CATALOGUE_SIZE,
      withResources: options.withResources ?? true,
      concurrency,
    });
    progress(`seeded account ${account.name} (${account.id})`);
  };
  // Accounts are independent; two at a time keeps moto (one Python process) responsive.
  await pLimit(2).map(accounts, seedAccount);

  return {
    managementAccountId,
    organizationId,
    accounts,
    hubRoleArn,
    spokeRoleName: DEMO_SPOKE_ROLE_NAME,
    demoUsers: DEMO_USERS,
  };
}

async function ensureOrganization(organizations: OrganizationsClient): Promise<string> {
  try {
    const existing = await organizations.send(new DescribeOrganizationCommand({}));
    if (existing.Organization?.Id) return existing.Organization.Id;
  } catch (error) {
    if ((error as Error).name !== 'AWSOrganizationsNotInUseException') throw error;
  }
  const created = await organizations.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
  return created.Organization?.Id ?? '';
}

async function listAccounts(organizations: OrganizationsClient): Promise<Account[]> {
  const accounts: Account[] = [];
  for await (const page of paginateListAccounts({ client: organizations }, {})) {
    accounts.push(...(page.Accounts ?? []));
  }
  return accounts;
}

async function ensureAccounts(
  organizations: OrganizationsClient,
  { managementAccountId, names }: { managementAccountId: string; names: readonly string[] },
): Promise<DemoAccount[]> {
  const existing = await listAccounts(organizations);
  for (const name of names) {
    if (existing.some((a) => a.Name === name)) continue;
    const created = await organizations.send(
      new CreateAccountCommand({ AccountName: name, Email: `aws+${name}@example.com` }),
    );
    await waitForAccount(organizations, created.CreateAccountStatus?.Id ?? '', name);
  }
  const all = await listAccounts(organizations);
  const management = all.find((a) => a.Id === managementAccountId);
  return [
    { id: managementAccountId, name: management?.Name ?? 'management', management: true },
    ...names.map((name) => {
      const account = all.find((a) => a.Name === name);
      if (!account?.Id) throw new Error(`account ${name} missing from the organization after creation`);
      return { id: account.Id, name, management: false };
    }),
  ];
}

/** Real Organizations creates accounts asynchronously; moto answers SUCCEEDED at once. */
async function waitForAccount(organizations: OrganizationsClient, requestId: string, name: string) {
  for (let attempt = 0; attempt < 60; attempt += 1) {
    const status = await organizations.send(
      new DescribeCreateAccountStatusCommand({ CreateAccountRequestId: requestId }),
    );
    const state = status.CreateAccountStatus?.State;
    if (state === 'SUCCEEDED') return;
    if (state === 'FAILED') {
      throw new Error(`creating account ${name} failed: ${status.CreateAccountStatus?.FailureReason}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  throw new Error(`account ${name} was not created within a minute`);
}

function accountClients(options: {
  region: string;
  endpointUrl: string;
  credentials: AwsCredentialIdentity;
}): AccountClients {
  const inRegion = (r: string) => ({ ...options, region: r });
  return {
    iam: new IAMClient(awsClientConfig('iam', options)),
    s3: new S3Client(awsClientConfig('s3', options)),
    sqs: Object.fromEntries(DEMO_REGIONS.map((r) => [r, new SQSClient(awsClientConfig('sqs', inRegion(r)))])),
    sns: Object.fromEntries(DEMO_REGIONS.map((r) => [r, new SNSClient(awsClientConfig('sns', inRegion(r)))])),
  };
}

async function seedAccountContents(
  clients: AccountClients,
  account: DemoAccount,
  settings: { hubRoleArn: string; rolesPerAccount: number; withResources: boolean; concurrency: number },
): Promise<void> {
  const { iam } = clients;
  const existingRoles = new Set<string>();
  for await (const page of paginateListRoles({ client: iam }, {})) {
    for (const role of page.Roles ?? []) if (role.RoleName) existingRoles.add(role.RoleName);
  }

  if (account.management) {
    await ensureAlias(iam, DEMO_MANAGEMENT_ACCOUNT_ALIAS);
    await ensureRole(iam, existingRoles, {
      name: DEMO_HUB_ROLE_NAME,
      description: 'The role Rolecall runs as: assumes the spoke roles and brokers user roles',
      trust: doc({
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${account.id}:root` },
        Action: 'sts:AssumeRole',
      }),
      tags: { owner: 'platform', 'rolecall:role': 'hub' },
      inline: { RolecallHubAccess: hubPolicy(DEMO_SPOKE_ROLE_NAME) },
    });
  }
  await ensureRole(iam, existingRoles, {
    name: DEMO_SPOKE_ROLE_NAME,
    description: 'Assumed by the Rolecall hub to crawl this account and apply approved requests',
    trust: doc({ Effect: 'Allow', Principal: { AWS: settings.hubRoleArn }, Action: 'sts:AssumeRole' }),
    tags: { owner: 'platform', 'rolecall:role': 'spoke' },
    inline: { RolecallSpokeAccess: spokePolicy(account.management) },
  });

  const policies = managedPolicies(account);
  await ensureManagedPolicies(iam, account.id, policies);
  const awsManagedAvailable = await hasAwsManagedPolicies(iam);

  const catalogue = roleCatalogue(account, settings.hubRoleArn).slice(0, settings.rolesPerAccount);
  const boundaryArn = policyArn(account.id, policies[2] as ManagedPolicySpec);
  const resolve = (spec: RoleSpec): ResolvedRole => ({
    ...spec,
    managedArns: [
      ...(spec.customer ?? []).map((name) =>
        policyArn(account.id, policies.find((p) => p.name === name) as ManagedPolicySpec),
      ),
      ...(awsManagedAvailable ? (spec.awsManaged ?? []) : []).map(
        (name) => `arn:aws:iam::aws:policy/${name}`,
      ),
    ],
    ...(spec.boundary ? { boundaryArn } : {}),
  });
  await pLimit(settings.concurrency).map(catalogue, (spec) => ensureRole(iam, existingRoles, resolve(spec)));

  // Plain roles for benchmarks: one CreateRole each (tags ride along), skipped when present.
  const bulk = Array.from({ length: Math.max(0, settings.rolesPerAccount - catalogue.length) }, (_, i) =>
    bulkRoleName(i + 1),
  ).filter((name) => !existingRoles.has(name));
  const bulkTrust = hubTrust(settings.hubRoleArn, account.id);
  await pLimit(settings.concurrency).map(bulk, async (name) => {
    await iam.send(
      new CreateRoleCommand({
        RoleName: name,
        Path: '/bulk/',
        Description: 'Generated role for load tests',
        AssumeRolePolicyDocument: bulkTrust,
        Tags: tags({ owner: 'bench', [AUTHORIZED_TAG]: 'engineering' }),
      }),
    );
  });

  await ensureUsersAndGroups(iam, account, policies, awsManagedAvailable);
  if (settings.withResources) {
    await ensureBuckets(clients.s3, account);
    for (const region of DEMO_REGIONS) {
      await ensureQueues(clients.sqs[region] as SQSClient, account, region);
      await ensureTopics(clients.sns[region] as SNSClient, account, region);
    }
  }
}

interface ResolvedRole extends RoleSpec {
  managedArns?: string[];
  boundaryArn?: string;
}

/**
 * Creates the role when missing; the attachments after it are upserts, so a role left half-done by an
 * interrupted run is completed and a finished one stays as it is.
 */
async function ensureRole(iam: IAMClient, existing: Set<string>, spec: ResolvedRole): Promise<void> {
  if (!existing.has(spec.name)) {
    try {
      await iam.send(
        new CreateRoleCommand({
          RoleName: spec.name,
          Path: spec.path ?? '/',
          Description: spec.description,
          AssumeRolePolicyDocument: spec.trust,
          Tags: tags(spec.tags),
          ...(spec.boundaryArn ? { PermissionsBoundary: spec.boundaryArn } : {}),
        }),
      );
    } catch (error) {
      if ((error as Error).name !== 'EntityAlreadyExistsException') throw error;
    }
    existing.add(spec.name);
  } else {
    await iam.send(new TagRoleCommand({ RoleName: spec.name, Tags: tags(spec.tags) }));
    if (spec.boundaryArn) {
      await iam.send(
        new PutRolePermissionsBoundaryCommand({ RoleName: spec.name, PermissionsBoundary: spec.boundaryArn }),
      );
    }
  }
  for (const [PolicyName, PolicyDocument] of Object.entries(spec.inline ?? {})) {
    await iam.send(new PutRolePolicyCommand({ RoleName: spec.name, PolicyName, PolicyDocument }));
  }
  for (const PolicyArn of spec.managedArns ?? []) {
    await iam.send(new AttachRolePolicyCommand({ RoleName: spec.name, PolicyArn }));
  }
}

async function ensureAlias(iam: IAMClient, alias: string): Promise<void> {
  const aliases = await iam.send(new ListAccountAliasesCommand({}));
  if (!aliases.AccountAliases?.includes(alias)) {
    await iam.send(new CreateAccountAliasCommand({ AccountAlias: alias }));
  }
}

/** moto loads AWS managed policies only when started with MOTO_IAM_LOAD_MANAGED_POLICIES=true. */
async function hasAwsManagedPolicies(iam: IAMClient): Promise<boolean> {
  try {
    await iam.send(new GetPolicyCommand({ PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }));
    return true;
  } catch (error) {
    if ((error as Error).name === 'NoSuchEntityException') return false;
    throw error;
  }
}

async function ensureManagedPolicies(
  iam: IAMClient,
  accountId: string,
  specs: ManagedPolicySpec[],
): Promise<void> {
  const existing = new Set<string>();
  for await (const page of paginateListPolicies({ client: iam }, { Scope: 'Local' })) {
    for (const policy of page.Policies ?? []) if (policy.Arn) existing.add(policy.Arn);
  }
  for (const spec of specs) {
    const arn = policyArn(accountId, spec);
    if (!existing.has(arn)) {
      await iam.send(
        new CreatePolicyCommand({
          PolicyName: spec.name,
          Path: spec.path,
          Description: spec.description,
          PolicyDocument: spec.versions[0],
          Tags: tags({ owner: 'platform' }),
        }),
      );
    }
    const versions = await iam.send(new ListPolicyVersionsCommand({ PolicyArn: arn }));
    const count = versions.Versions?.length ?? 0;
    for (const document of spec.versions.slice(count)) {
      await iam.send(
        new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: document, SetAsDefault: true }),
      );
    }
  }
}

async function ensureUsersAndGroups(
  iam: IAMClient,
  account: DemoAccount,
  policies: ManagedPolicySpec[],
  awsManagedAvailable: boolean,
): Promise<void> {
  const customer = (name: string) =>
    policyArn(account.id, policies.find((p) => p.name === name) as ManagedPolicySpec);
  const awsManaged = (name: string) => (awsManagedAvailable ? [`arn:aws:iam::aws:policy/${name}`] : []);

  const groups: { name: string; path: string; managed: string[]; inline?: Record<string, string> }[] = [
    { name: 'developers', path: '/', managed: [customer('DataLakeRead')] },
    {
      name: 'deployers',
      path: '/automation/',
      managed: [customer('DeployPipeline')],
      inline: {
        'pass-service-roles': doc({
          Effect: 'Allow',
          Action: 'iam:PassRole',
          Resource: `arn:aws:iam::${account.id}:role/service/*`,
        }),
      },
    },
    {
      name: 'auditors',
      path: '/',
      managed: awsManaged('SecurityAudit'),
      inline: {
        'read-trails': doc({ Effect: 'Allow', Action: 'cloudtrail:LookupEvents', Resource: '*' }),
      },
    },
  ];
  const users: {
    name: string;
    path: string;
    groups: string[];
    tags: Record<string, string>;
    managed: string[];
    inline?: Record<string, string>;
  }[] = [
    {
      name: 'ci-bot',
      path: '/automation/',
      groups: ['deployers'],
      tags: { owner: 'platform', purpose: 'ci' },
      managed: [customer('DeployPipeline')],
      inline: {
        'push-artifacts': doc({
          Effect: 'Allow',
          Action: ['s3:PutObject'],
          Resource: `arn:aws:s3:::rolecall-demo-${account.id}-assets/*`,
        }),
      },
    },
    {
      name: 'legacy-reporting',
      path: '/',
      groups: ['developers'],
      tags: { owner: 'data', purpose: 'reports' },
      managed: awsManaged('AmazonS3ReadOnlyAccess'),
      inline: {
        'read-reports': doc({
          Effect: 'Allow',
          Action: ['s3:GetObject'],
          Resource: `arn:aws:s3:::rolecall-demo-${account.id}-data/reports/*`,
        }),
      },
    },
    {
      name: 'auditor',
      path: '/people/',
      groups: ['auditors'],
      tags: { owner: 'security', email: 'audit@example.com' },
      managed: [],
    },
    {
      name: 'alice',
      path: '/people/',
      groups: ['developers', 'deployers'],
      tags: { owner: 'payments', email: 'alice@example.com' },
      managed: [],
    },
  ];

  const existingGroups = new Set<string>();
  for await (const page of paginateListGroups({ client: iam }, {})) {
    for (const group of page.Groups ?? []) if (group.GroupName) existingGroups.add(group.GroupName);
  }
  for (const group of groups) {
    if (!existingGroups.has(group.name)) {
      await iam.send(new CreateGroupCommand({ GroupName: group.name, Path: group.path }));
    }
    for (const PolicyArn of group.managed) {
      await iam.send(new AttachGroupPolicyCommand({ GroupName: group.name, PolicyArn }));
    }
    for (const [PolicyName, PolicyDocument] of Object.entries(group.inline ?? {})) {
      await iam.send(new PutGroupPolicyCommand({ GroupName: group.name, PolicyName, PolicyDocument }));
    }
  }

  const existingUsers = new Set<string>();
  for await (const page of paginateListUsers({ client: iam }, {})) {
    for (const user of page.Users ?? []) if (user.UserName) existingUsers.add(user.UserName);
  }
  for (const user of users) {
    if (!existingUsers.has(user.name)) {
      await iam.send(new CreateUserCommand({ UserName: user.name, Path: user.path, Tags: tags(user.tags) }));
    } else {
      await iam.send(new TagUserCommand({ UserName: user.name, Tags: tags(user.tags) }));
    }
    for (const PolicyArn of user.managed) {
      await iam.send(new AttachUserPolicyCommand({ UserName: user.name, PolicyArn }));
    }
    for (const [PolicyName, PolicyDocument] of Object.entries(user.inline ?? {})) {
      await iam.send(new PutUserPolicyCommand({ UserName: user.name, PolicyName, PolicyDocument }));
    }
    for (const GroupName of user.groups) {
      await iam.send(new AddUserToGroupCommand({ GroupName, UserName: user.name }));
    }
  }
}

/** Bucket names are global in S3 (and in moto), so they carry the account id. */
export const demoBucketNames = (accountId: string) => ({
  data: `rolecall-demo-${accountId}-data`,
  assets: `rolecall-demo-${accountId}-assets`,
  logs: `rolecall-demo-${accountId}-logs-usw2`,
});

async function ensureBuckets(s3: S3Client, account: DemoAccount): Promise<void> {
  const names = demoBucketNames(account.id);
  const buckets = [
    { name: names.data, region: 'us-east-1', classification: 'confidential', readers: 'data' },
    { name: names.assets, region: 'us-east-1', classification: 'public', readers: 'engineering' },
    { name: names.logs, region: 'us-west-2', classification: 'internal', readers: 'security' },
  ];
  const listed = await s3.send(new ListBucketsCommand({}));
  const existing = new Set((listed.Buckets ?? []).map((b) => b.Name));
  for (const bucket of buckets) {
    if (!existing.has(bucket.name)) {
      await s3.send(
        new CreateBucketCommand({
          Bucket: bucket.name,
          ...(bucket.region === 'us-east-1'
            ? {}
            : {
                CreateBucketConfiguration: { LocationConstraint: bucket.region as BucketLocationConstraint },
              }),
        }),
      );
    }
    await s3.send(
      new PutBucketPolicyCommand({
        Bucket: bucket.name,
        Policy: doc(
          {
            Sid: 'DenyInsecureTransport',
            Effect: 'Deny',
            Principal: '*',
            Action: 's3:*',
            Resource: [`arn:aws:s3:::${bucket.name}`, `arn:aws:s3:::${bucket.name}/*`],
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
          {
            Sid: 'ReadFromAccountRoles',
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${account.id}:root` },
            Action: ['s3:GetObject', 's3:ListBucket'],
            Resource: [`arn:aws:s3:::${bucket.name}`, `arn:aws:s3:::${bucket.name}/*`],
          },
        ),
      }),
    );
    await s3.send(
      new PutBucketTaggingCommand({
        Bucket: bucket.name,
        Tagging: {
          TagSet: tags({
            owner: bucket.readers,
            environment: account.name,
            'data-classification': bucket.classification,
          }),
        },
      }),
    );
  }
}

export const DEMO_QUEUE_NAMES = ['orders', 'orders-dlq', 'audit-events'] as const;
export const DEMO_TOPIC_NAMES = ['order-events', 'alerts'] as const;

async function ensureQueues(sqs: SQSClient, account: DemoAccount, region: string): Promise<void> {
  for (const name of DEMO_QUEUE_NAMES) {
    const arn = `arn:aws:sqs:${region}:${account.id}:${name}`;
    const Policy = doc({
      Sid: 'FromOrderEvents',
      Effect: 'Allow',
      Principal: { Service: 'sns.amazonaws.com' },
      Action: 'sqs:SendMessage',
      Resource: arn,
      Condition: { ArnEquals: { 'aws:SourceArn': `arn:aws:sns:${region}:${account.id}:order-events` } },
    });
    const queueTags = { owner: name === 'audit-events' ? 'security' : 'payments', environment: account.name };
    let queueUrl: string | undefined;
    try {
      queueUrl = (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
    } catch (error) {
      if (!['QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue'].includes((error as Error).name)) {
        throw error;
      }
    }
    if (!queueUrl) {
      await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { Policy }, tags: queueTags }));
      continue;
    }
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: queueUrl, Attributes: { Policy } }));
    await sqs.send(new TagQueueCommand({ QueueUrl: queueUrl, Tags: queueTags }));
  }
}

async function ensureTopics(sns: SNSClient, account: DemoAccount, region: string): Promise<void> {
  const existing = new Set<string>();
  for await (const page of paginateListTopics({ client: sns }, {})) {
    for (const topic of page.Topics ?? []) if (topic.TopicArn) existing.add(topic.TopicArn);
  }
  for (const name of DEMO_TOPIC_NAMES) {
    const arn = `arn:aws:sns:${region}:${account.id}:${name}`;
    const policy = doc(
      {
        Sid: 'AccountPublish',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${account.id}:root` },
        Action: ['sns:Publish', 'sns:Subscribe'],
        Resource: arn,
      },
      {
        Sid: 'CloudWatchAlarms',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: arn,
      },
    );
    const topicTags = tags({ owner: name === 'alerts' ? 'platform' : 'payments', environment: account.name });
    if (!existing.has(arn)) {
      await sns.send(new CreateTopicCommand({ Name: name, Attributes: { Policy: policy }, Tags: topicTags }));
      continue;
    }
    await sns.send(
      new SetTopicAttributesCommand({ TopicArn: arn, AttributeName: 'Policy', AttributeValue: policy }),
    );
    await sns.send(new TagResourceCommand({ ResourceArn: arn, Tags: topicTags }));
  }
}
