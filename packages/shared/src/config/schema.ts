import { Type, type Static } from '@sinclair/typebox';

const Seconds = (defaultValue: number, description: string) =>
  Type.Integer({ minimum: 1, default: defaultValue, description });

const AccountId = Type.String({ pattern: '^\\d{12}$', description: 'A 12-digit AWS account id' });

export const StaticAccount = Type.Object(
  {
    id: AccountId,
    name: Type.String({ minLength: 1 }),
    status: Type.Optional(Type.Union([Type.Literal('ACTIVE'), Type.Literal('SUSPENDED')])),
  },
  { additionalProperties: false },
);
export type StaticAccount = Static<typeof StaticAccount>;

export const CrawlIntervals = Type.Object(
  {
    iam: Seconds(2700, 'Seconds between scheduled IAM crawls (roles, users, groups, managed policies)'),
    s3: Seconds(3600, 'Seconds between scheduled S3 bucket crawls'),
    sqs: Seconds(3600, 'Seconds between scheduled SQS queue crawls'),
    sns: Seconds(3600, 'Seconds between scheduled SNS topic crawls'),
    config: Seconds(3600, 'Seconds between scheduled AWS Config crawls'),
  },
  { additionalProperties: false, default: {} },
);

/** The whole static configuration. Every key has a default except where production must decide. */
export const RolecallConfig = Type.Object(
  {
    environment: Type.Union([Type.Literal('demo'), Type.Literal('test'), Type.Literal('production')], {
      default: 'production',
    }),
    log: Type.Object(
      {
        level: Type.Union(
          ['trace', 'debug', 'info', 'warn', 'error', 'silent'].map((l) => Type.Literal(l)),
          { default: 'info' },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    aws: Type.Object(
      {
        region: Type.String({ default: 'us-east-1', description: 'Home region for STS, DynamoDB and S3' }),
        regions: Type.Array(Type.String(), {
          default: ['us-east-1'],
          minItems: 1,
          description: 'Regions crawled for regional resources (SQS, SNS, AWS Config)',
        }),
        endpointUrl: Type.Optional(
          Type.String({
            description: 'Sends every AWS call here (moto). Same as the AWS_ENDPOINT_URL variable.',
          }),
        ),
        hubRoleArn: Type.Optional(
          Type.String({
            description:
              'Role assumed first with the process credentials; leave unset when the process already runs as the hub role',
          }),
        ),
        spokeRoleName: Type.String({
          default: 'RolecallSpoke',
          description: 'Role name the hub assumes in each account',
        }),
        spokeExternalId: Type.Optional(Type.String()),
        spokeSessionName: Type.String({ default: 'rolecall-crawler' }),
      },
      { additionalProperties: false, default: {} },
    ),
    accounts: Type.Object(
      {
        source: Type.Union([Type.Literal('static'), Type.Literal('organizations'), Type.Literal('current')], {
          default: 'current',
        }),
        static: Type.Array(StaticAccount, { default: [] }),
        organizations: Type.Object(
          {
            managementAccountId: Type.Optional(AccountId),
            roleName: Type.Optional(
              Type.String({
                description:
                  'Role in the management account used for ListAccounts; defaults to the spoke role',
              }),
            ),
          },
          { additionalProperties: false, default: {} },
        ),
        discoveryIntervalSeconds: Seconds(600, 'Seconds between account discoveries'),
      },
      { additionalProperties: false, default: {} },
    ),
    crawl: Type.Object(
      {
        intervals: CrawlIntervals,
        batchSize: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
        concurrency: Type.Integer({
          minimum: 1,
          maximum: 64,
          default: 4,
          description: 'Jobs one crawler runs at once',
        }),
        scheduleEnabled: Type.Boolean({ default: true }),
        jobTimeoutSeconds: Seconds(900, 'A job not finished by then is redelivered to another crawler'),
        awsConfig: Type.Object(
          {
            enabled: Type.Boolean({ default: true }),
            resourceTypes: Type.Array(Type.String(), {
              default: [
                'AWS::EC2::Instance',
                'AWS::EC2::SecurityGroup',
                'AWS::Lambda::Function',
                'AWS::DynamoDB::Table',
              ],
            }),
            useSelect: Type.Boolean({
              default: true,
              description: 'Try SelectResourceConfig first; falls back to List+BatchGet when unsupported',
            }),
          },
          { additionalProperties: false, default: {} },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    nats: Type.Object(
      {
        url: Type.String({ default: 'nats://127.0.0.1:4222' }),
        streamReplicas: Type.Integer({ minimum: 1, maximum: 5, default: 1 }),
      },
      { additionalProperties: false, default: {} },
    ),
    redis: Type.Object(
      {
        url: Type.String({ default: 'redis://127.0.0.1:6379' }),
        keyPrefix: Type.String({ default: 'rc:' }),
      },
      { additionalProperties: false, default: {} },
    ),
    dynamodb: Type.Object(
      { tablePrefix: Type.String({ default: 'rolecall_', pattern: '^[A-Za-z0-9_.-]*$' }) },
      { additionalProperties: false, default: {} },
    ),
    s3: Type.Object(
      {
        bucket: Type.String({ default: 'rolecall-snapshots', minLength: 3 }),
        snapshotPrefix: Type.String({ default: 'snapshots/' }),
      },
      { additionalProperties: false, default: {} },
    ),
    gateway: Type.Object(
      {
        host: Type.String({ default: '127.0.0.1' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 8081 }),
        publicUrl: Type.Optional(Type.String()),
        bodyLimitBytes: Type.Integer({ minimum: 1024, default: 1048576 }),
        trustedProxies: Type.Array(Type.String(), {
          default: ['127.0.0.1', '::1'],
          description:
            'Addresses whose identity headers are believed; requests from anywhere else carry no identity',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    auth: Type.Object(
      {
        userHeader: Type.String({ default: 'X-Forwarded-Email' }),
        groupsHeader: Type.String({ default: 'X-Forwarded-Groups' }),
        adminGroups: Type.Array(Type.String(), { default: ['admins'] }),
        lowercaseGroups: Type.Boolean({ default: true }),
      },
      { additionalProperties: false, default: {} },
    ),
    demo: Type.Object(
      {
        users: Type.Array(
          Type.Object(
            {
              email: Type.String(),
              groups: Type.Array(Type.String()),
              description: Type.Optional(Type.String()),
            },
            { additionalProperties: false },
          ),
          { default: [] },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false },
);
export type RolecallConfig = Static<typeof RolecallConfig>;
