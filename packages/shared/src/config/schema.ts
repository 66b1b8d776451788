import { Type, type Static } from 'typebox';
import { LiteralUnion } from '../contracts/literal-union.js';

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

/** `metrics.ports.<service>`: where that service serves Prometheus metrics. */
const metricsPort = (service: string) =>
  Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: 65535,
      description: `Port of GET /metrics (Prometheus) for the ${service} service; absent: not served. 0 picks a free port. Copies on one host each need their own (ROLECALL__METRICS__PORTS__${service.toUpperCase()})`,
    }),
  );

/** The name of an environment variable that holds a secret, so the secret stays out of config files. */
const envName = (description: string) =>
  Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$', maxLength: 128, description });

/** `requests.notifications.smtp`: the mail server notifications go through. */
export const SmtpConfig = Type.Object(
  {
    host: Type.String({ minLength: 1, description: 'SMTP server host' }),
    port: Type.Integer({ minimum: 1, maximum: 65535, default: 587, description: 'SMTP server port' }),
    secure: Type.Boolean({
      default: false,
      description: 'TLS from the start (port 465); when false, STARTTLS is used where the server offers it',
    }),
    user: Type.Optional(Type.String({ minLength: 1, description: 'SMTP login; absent: no authentication' })),
    passwordEnv: Type.Optional(
      envName('Name of the environment variable holding the SMTP password (never the password itself)'),
    ),
    from: Type.String({
      minLength: 3,
      maxLength: 320,
      description: 'From address of the mails, e.g. "Rolecall <rolecall@example.com>"',
    }),
  },
  { additionalProperties: false },
);
export type SmtpConfig = Static<typeof SmtpConfig>;

/**
 * `requests.notifications` in the static config. Which topic goes to which channel is dynamic config
 * (`policy_requests.notifications`); this says how to reach the channels. A channel left out is off.
 */
export const RequestsNotificationsConfig = Type.Object(
  {
    slackWebhookUrl: Type.Optional(
      Type.String({
        pattern: '^https?://[^\\s]+$',
        description:
          'Slack incoming webhook. A secret: prefer slackWebhookUrlEnv outside demo and test config files',
      }),
    ),
    slackWebhookUrlEnv: Type.Optional(
      envName('Name of the environment variable holding the Slack incoming webhook URL'),
    ),
    smtp: Type.Optional(SmtpConfig),
  },
  { additionalProperties: false, default: {} },
);
export type RequestsNotificationsConfig = Static<typeof RequestsNotificationsConfig>;

/** The whole static configuration. Every key has a default except where production must decide. */
export const RolecallConfig = Type.Object(
  {
    environment: Type.Union([Type.Literal('demo'), Type.Literal('test'), Type.Literal('production')], {
      default: 'production',
      description: 'demo and test only pick defaults and label logs; they relax nothing security-relevant',
    }),
    log: Type.Object(
      {
        level: LiteralUnion(['trace', 'debug', 'info', 'warn', 'error', 'silent'], {
          default: 'info',
          description: 'Log level of every service (pino); secrets are always redacted',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    metrics: Type.Object(
      {
        host: Type.String({
          default: '127.0.0.1',
          description: 'Address the metrics ports listen on; expose it to Prometheus only, never publicly',
        }),
        ports: Type.Object(
          {
            gateway: metricsPort('gateway'),
            cache: metricsPort('cache'),
            crawler: metricsPort('crawler'),
            broker: metricsPort('broker'),
            requests: metricsPort('requests'),
          },
          { additionalProperties: false, default: {} },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    tracing: Type.Object(
      {
        otlpEndpoint: Type.Optional(
          Type.String({
            pattern: '^https?://[^\\s]+$',
            description:
              'Base URL of an OTLP/HTTP collector (http://collector:4318); spans go to <url>/v1/traces as JSON. Absent: tracing is off, no SDK is started',
          }),
        ),
        sampleRatio: Type.Number({
          minimum: 0,
          maximum: 1,
          default: 1,
          description:
            'Share of new traces recorded (0 to 1); a trace that arrives from another service keeps its decision',
        }),
        exportDelayMs: Type.Integer({
          minimum: 10,
          default: 5000,
          description: 'How long spans are batched before they are sent to the collector',
        }),
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
        spokeExternalId: Type.Optional(
          Type.String({ description: 'ExternalId the spoke roles require, if any' }),
        ),
        spokeSessionName: Type.String({
          default: 'rolecall-crawler',
          description: 'Session name of crawler sessions in spoke accounts (shows in CloudTrail)',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    accounts: Type.Object(
      {
        source: Type.Union([Type.Literal('static'), Type.Literal('organizations'), Type.Literal('current')], {
          default: 'current',
          description:
            'Where accounts come from: the list below, AWS Organizations ListAccounts, or the hub account alone',
        }),
        static: Type.Array(StaticAccount, {
          default: [],
          description: 'With source static: [{id, name, status?}]; SUSPENDED accounts are not crawled',
        }),
        organizations: Type.Object(
          {
            managementAccountId: Type.Optional(
              Type.String({
                pattern: '^\\d{12}$',
                description: 'Management account whose role lists the accounts; unset: the hub lists them',
              }),
            ),
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
        batchSize: Type.Integer({
          minimum: 1,
          maximum: 1000,
          default: 100,
          description: 'Items per message from crawler to cache; bounds crawler memory',
        }),
        concurrency: Type.Integer({
          minimum: 1,
          maximum: 64,
          default: 4,
          description: 'Jobs one crawler runs at once',
        }),
        scheduleEnabled: Type.Boolean({
          default: true,
          description: 'Crawl on the intervals above (off: on demand only)',
        }),
        jobTimeoutSeconds: Seconds(900, 'A job not finished by then is redelivered to another crawler'),
        awsConfig: Type.Object(
          {
            enabled: Type.Boolean({ default: true, description: 'Crawl AWS Config resources' }),
            resourceTypes: Type.Array(Type.String(), {
              default: [
                'AWS::EC2::Instance',
                'AWS::EC2::SecurityGroup',
                'AWS::Lambda::Function',
                'AWS::DynamoDB::Table',
              ],
              description: 'AWS Config resource types to inventory in every region',
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
        // A list or a comma-separated string: the nodes of one cluster, any of which the client may reach.
        url: Type.Union(
          [Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })],
          {
            default: 'nats://127.0.0.1:4222',
            description:
              'NATS servers: one URL, a list, or a comma-separated string (NATS_URL); list every node of a cluster so a service starts and reconnects while any one is down',
          },
        ),
        streamReplicas: Type.Integer({
          minimum: 1,
          maximum: 5,
          default: 1,
          description: 'JetStream replicas per stream; 3 on a clustered NATS in production',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    redis: Type.Object(
      {
        url: Type.String({
          default: 'redis://127.0.0.1:6379',
          description: 'Redis URL (REDIS_URL); rediss:// for TLS',
        }),
        keyPrefix: Type.String({
          default: 'rc:',
          description: 'Prefix of every Redis key, so installations can share one Redis',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    dynamodb: Type.Object(
      {
        tablePrefix: Type.String({
          default: 'rolecall_',
          pattern: '^[A-Za-z0-9_.-]*$',
          description: 'Prefix of the DynamoDB table names (iam_roles, resources, crawl_status, accounts)',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    s3: Type.Object(
      {
        bucket: Type.String({
          default: 'rolecall-snapshots',
          minLength: 3,
          description: 'Bucket for gzipped JSON snapshots per account and item type',
        }),
        snapshotPrefix: Type.String({ default: 'snapshots/', description: 'Key prefix of the snapshots' }),
      },
      { additionalProperties: false, default: {} },
    ),
    gateway: Type.Object(
      {
        host: Type.String({ default: '127.0.0.1', description: 'Address the gateway listens on' }),
        port: Type.Integer({
          minimum: 0,
          maximum: 65535,
          default: 8081,
          description: 'Port the gateway listens on (ROLECALL_PORT)',
        }),
        publicUrl: Type.Optional(
          Type.String({ description: 'URL users reach the gateway at, used in links it builds' }),
        ),
        bodyLimitBytes: Type.Integer({
          minimum: 1024,
          default: 1048576,
          description: 'Larger request bodies get 413 BODY_TOO_LARGE',
        }),
        trustedProxies: Type.Array(Type.String(), {
          default: ['127.0.0.1', '::1'],
          description:
            'Addresses or CIDR ranges (10.0.12.0/24, fd00::/8) whose identity headers are believed; requests from anywhere else carry no identity',
        }),
        tls: Type.Optional(
          Type.Object(
            {
              certFile: Type.String({
                minLength: 1,
                description: 'PEM server certificate (chain) file: with it the gateway listens https only',
              }),
              keyFile: Type.String({ minLength: 1, description: 'PEM private key of certFile' }),
              clientCaFile: Type.Optional(
                Type.String({
                  minLength: 1,
                  description:
                    'PEM CA certificates client certificates must chain to; with it the gateway asks every client for a certificate (never required on the TLS level, so pages and health checks work without one)',
                }),
              ),
            },
            { additionalProperties: false },
          ),
        ),
        rateLimit: Type.Object(
          {
            credentialsPerMinute: Type.Integer({
              minimum: 1,
              default: 60,
              description:
                'Credential requests (get_credentials, role_login) one user may make per minute; more get 429',
            }),
            challengesPerMinute: Type.Integer({
              minimum: 1,
              default: 30,
              description:
                'Weep challenge logins (challenge_generator, unauthenticated) one source address may start per minute; more get 429',
            }),
            signInsPerMinute: Type.Integer({
              minimum: 1,
              default: 20,
              description:
                'Sign-ins (demo sign-in) and Weep challenge approvals one source address may make per minute; more get 429',
            }),
          },
          { additionalProperties: false, default: {} },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    auth: Type.Object(
      {
        userHeader: Type.String({
          default: 'X-Forwarded-Email',
          description: 'Header carrying the user, believed from trusted proxies only',
        }),
        groupsHeader: Type.String({
          default: 'X-Forwarded-Groups',
          description: 'Header carrying comma-separated groups, believed from trusted proxies only',
        }),
        adminGroups: Type.Array(Type.String(), {
          default: ['admins'],
          description: 'Members may start crawls and approve or apply any policy request',
        }),
        lowercaseGroups: Type.Boolean({
          default: true,
          description: 'Compare users and groups case-insensitively',
        }),
        jwt: Type.Object(
          {
            cookieName: Type.String({
              default: 'consoleme_auth',
              minLength: 1,
              description: 'Cookie carrying the JWT issued by the Weep challenge login',
            }),
            secret: Type.Optional(
              Type.String({
                description:
                  'HS256 signing key shared by every gateway copy; at least 32 characters (required outside demo/test)',
              }),
            ),
            expirationMinutes: Type.Integer({
              minimum: 1,
              default: 60,
              description: 'Lifetime of an issued JWT',
            }),
            keys: Type.Optional(
              Type.Array(
                Type.Object(
                  {
                    id: Type.String({
                      pattern: '^[A-Za-z0-9._-]{1,64}$',
                      description: 'The key id written into the `kid` header of the JWTs this key signs',
                    }),
                    secret: Type.String({
                      description: 'HS256 key; at least 32 characters outside demo/test',
                    }),
                  },
                  { additionalProperties: false },
                ),
                {
                  minItems: 1,
                  description:
                    'Rotating HS256 keys, newest first: the first signs, every one listed (and `secret`) verifies. Rotate by adding a key in front; drop the old one once expirationMinutes have passed',
                },
              ),
            ),
          },
          { additionalProperties: false, default: {} },
        ),
        cliAcceptsTrustedHeaders: Type.Boolean({
          default: false,
          description:
            'CLI routes (get_credentials, get_roles…) also believe the trusted-proxy headers, not only the JWT cookie (the same as listing cli in trustedHeaderRoutes)',
        }),
        trustedHeaderRoutes: Type.Array(LiteralUnion(['ui', 'api', 'cli']), {
          default: ['ui', 'api'],
          uniqueItems: true,
          description:
            "Route groups on which the trusted-proxy headers are believed: ui (pages), api (/api/… and /noauth/… routes, the UI's data calls included), cli (Weep's routes). Headers on other groups are ignored",
        }),
        oidc: Type.Optional(
          Type.Object(
            {
              issuer: Type.String({
                pattern: '^https?://',
                description:
                  'OpenID provider issuer URL; its /.well-known/openid-configuration is read on the first sign-in (https in production)',
              }),
              clientId: Type.String({ minLength: 1, description: 'Client id registered at the provider' }),
              clientSecret: Type.Optional(
                Type.String({
                  minLength: 1,
                  description:
                    'Client secret (client_secret_basic); absent: a public client (PKCE only). Prefer ROLECALL__AUTH__OIDC__CLIENT_SECRET',
                }),
              ),
              providerName: Type.String({
                default: 'OpenID Connect',
                minLength: 1,
                maxLength: 64,
                description: 'Shown on the sign-in page as "Sign in with <providerName>"',
              }),
              scopes: Type.Array(Type.String({ pattern: '^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$' }), {
                default: ['openid', 'email', 'profile', 'offline_access'],
                description: 'Scopes asked for (openid is always added); offline_access gets a refresh token',
              }),
              userClaim: Type.String({
                default: 'email',
                minLength: 1,
                description: 'ID-token claim naming the user',
              }),
              groupsClaim: Type.String({
                default: 'groups',
                minLength: 1,
                description:
                  'Claim holding the groups (a list or a comma-separated string); dots reach nested claims',
              }),
              groupsFrom: LiteralUnion(['id_token', 'access_token', 'userinfo'], {
                default: 'id_token',
                description:
                  'Where the groups claim is read: the ID token, the access token (a JWT from the provider), or the userinfo endpoint',
              }),
              refreshBeforeSeconds: Type.Integer({
                minimum: 0,
                default: 300,
                description:
                  'POST /auth/oidc/refresh renews a session this close to its expiry, with the refresh token, re-reading the groups',
              }),
            },
            { additionalProperties: false },
          ),
        ),
        mtls: Type.Optional(
          Type.Object(
            {
              routeGroups: Type.Array(LiteralUnion(['ui', 'api', 'cli']), {
                default: ['cli'],
                uniqueItems: true,
                description:
                  'Route groups on which a client certificate signs the caller in (see auth.trustedHeaderRoutes for the groups)',
              }),
              userFrom: LiteralUnion(['subjectCN', 'sanEmail', 'sanUri'], {
                default: 'subjectCN',
                description:
                  "Where the user is read from the certificate: the subject's CN, its first email SAN, or its first URI SAN",
              }),
              groupsFrom: LiteralUnion(['none', 'subjectOU'], {
                default: 'none',
                description:
                  "The user's groups: none (roles come from grants naming the user) or the subject's OU values",
              }),
              proxyHeader: Type.Optional(
                Type.String({
                  minLength: 1,
                  description:
                    "Header in which a proxy in gateway.trustedProxies passes the client certificate it verified, URL-encoded PEM (nginx's $ssl_client_escaped_cert); ignored from anyone else",
                }),
              ),
              proxyCaFile: Type.Optional(
                Type.String({
                  minLength: 1,
                  description:
                    'PEM CA certificates that must have issued a certificate from proxyHeader (directly); unset: the proxy is trusted to have checked it',
                }),
              ),
            },
            { additionalProperties: false },
          ),
        ),
        alb: Type.Optional(
          Type.Object(
            {
              signerArns: Type.Array(Type.String({ pattern: '^arn:aws[a-z-]*:elasticloadbalancing:' }), {
                minItems: 1,
                description:
                  'ARNs of the load balancers whose X-Amzn-Oidc-Data header is believed (the token header `signer`)',
              }),
              region: Type.String({
                pattern: '^[a-z]{2}(-[a-z]+)+-\\d$',
                description: 'Region of the load balancers; their public keys come from its endpoint',
              }),
              publicKeysUrl: Type.Optional(
                Type.String({
                  pattern: '^https?://',
                  description:
                    'Base URL of the ALB public keys (default https://public-keys.auth.elb.<region>.amazonaws.com); a key is fetched from <base>/<kid>',
                }),
              ),
              keyTimeoutMs: Type.Integer({
                minimum: 100,
                default: 3000,
                description:
                  'How long a public-key fetch may take before the request is answered 503 ALB_KEYS_UNAVAILABLE',
              }),
              userClaim: Type.String({
                default: 'email',
                minLength: 1,
                description: 'Claim naming the user',
              }),
              groupsClaim: Type.String({
                default: 'groups',
                minLength: 1,
                description:
                  'Claim holding the groups (a list or a comma-separated string); dots reach nested claims',
              }),
              routeGroups: Type.Array(LiteralUnion(['ui', 'api', 'cli']), {
                default: ['ui', 'api'],
                uniqueItems: true,
                description:
                  'Route groups on which the ALB identity is believed, from gateway.trustedProxies only',
              }),
            },
            { additionalProperties: false },
          ),
        ),
        challenge: Type.Object(
          {
            requireSameIp: Type.Boolean({
              default: true,
              description:
                'The browser approving a Weep challenge must come from the address that created it',
            }),
          },
          { additionalProperties: false, default: {} },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    broker: Type.Object(
      {
        authorizedTags: Type.Array(Type.String({ minLength: 1 }), {
          default: ['consoleme-authorized'],
          description:
            'Role tag keys whose colon-separated users and groups may use the role for the console and the CLI',
        }),
        authorizedCliOnlyTags: Type.Array(Type.String({ minLength: 1 }), {
          default: ['consoleme-authorized-cli-only'],
          description:
            'Role tag keys whose colon-separated users and groups may use the role for the CLI only',
        }),
        requiredTrustPolicyEntity: Type.Optional(
          Type.String({
            minLength: 1,
            description:
              "Role tags grant nothing unless the role's trust policy has an Allow of sts:AssumeRole naming this principal exactly (e.g. the hub role ARN; `*` does not count)",
          }),
        ),
        sessionDurationSeconds: Type.Integer({
          minimum: 900,
          maximum: 43200,
          default: 3600,
          description: "Lifetime of brokered credentials, never above the role's MaxSessionDuration",
        }),
        ipRestrictions: Type.Array(Type.String(), {
          default: [],
          description:
            'CIDRs brokered CLI credentials work from (session policy as ConsoleMe); empty: no restriction',
        }),
        ipRestrictionExemptGroups: Type.Array(Type.String(), {
          default: [],
          description:
            'Users and groups who may ask for CLI credentials without IP restrictions (no_ip_restrictions) or with their own CIDRs (custom_ip_restrictions); anyone else asking is refused',
        }),
        federationUrl: Type.String({
          default: 'https://signin.aws.amazon.com/federation',
          description: 'AWS federation endpoint for console sign-in (getSigninToken and login)',
        }),
        consoleUrl: Type.String({
          default: 'https://{region}.console.aws.amazon.com/',
          description: 'Where console sign-in lands without a redirect; {region} is replaced',
        }),
        consoleRedirectHosts: Type.Array(Type.String({ minLength: 1 }), {
          default: ['console.aws.amazon.com', '*.console.aws.amazon.com'],
          description:
            'Hosts a console sign-in redirect may land on (https only); *.example.com matches every subdomain. Anything else is refused',
        }),
        issuer: Type.String({
          default: 'rolecall',
          description: 'Issuer shown by the AWS sign-in page',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    requests: Type.Object(
      {
        expiryIntervalMs: Type.Integer({
          minimum: 100,
          default: 10_000,
          description: 'Milliseconds between two looks for time-bound grants whose end has come',
        }),
        expiryLeaseMs: Type.Integer({
          minimum: 1000,
          default: 60_000,
          description:
            'How long one requests process holds the removal of an expired grant before another may take it over',
        }),
        spokeSessionName: Type.String({
          default: 'rolecall-requests',
          description:
            'Session name of the sessions that apply changes in spoke accounts (shows in CloudTrail)',
        }),
        crossAccountWildcards: LiteralUnion(['expand', 'refuse'], {
          default: 'expand',
          description:
            'A wildcard resource in another account: expand to every matching cached resource, or refuse the request',
        }),
        notifications: RequestsNotificationsConfig,
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
          { default: [], description: 'Users offered on the demo sign-in page (demo only)' },
        ),
        federationStandIn: Type.Boolean({
          default: false,
          description:
            'Serve /demo/federation, a local stand-in for the AWS federation endpoint (never in production)',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false },
);
export type RolecallConfig = Static<typeof RolecallConfig>;
