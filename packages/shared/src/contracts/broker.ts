import { Type, type Static } from 'typebox';
import { defineMessage } from './envelope.js';
import { defineEvent, defineStream } from './event.js';
import { defineOperation } from './operation.js';
import { AccountId } from './resources.js';

/** Subjects owned by services/broker. */
export const brokerSubjects = {
  issueCredentials: 'broker.credentials.issue',
  consoleLogin: 'broker.console.login',
  eligibleRoles: 'broker.roles.eligible',
  roleAccess: 'broker.roles.access',
  queryAudit: 'broker.audit.query',
  /** JetStream (stream AUDIT): one event per issuance, refusal or failure. */
  credentialsAudited: (outcome: CredentialAuditEvent['outcome']) => `broker.audit.credentials.${outcome}`,
  /**
   * Every audit event. Not `broker.audit.>`: that would also take in the `broker.audit.query` requests,
   * which a stream would answer with a publish ack before the broker could.
   */
  credentialsAuditedAll: 'broker.audit.credentials.>',
} as const;

/** Who is asking, as the gateway authenticated them. */
export const Caller = Type.Object({
  user: Type.String({ minLength: 1 }),
  groups: Type.Array(Type.String()),
});
export type Caller = Static<typeof Caller>;

/** Where the request came from, for the audit trail and the IP-restricted session policy. */
export const RequestContext = Type.Object({
  sourceIp: Type.String(),
  userAgent: Type.String(),
  requestId: Type.String(),
});
export type RequestContext = Static<typeof RequestContext>;

export const Channel = Type.Union([Type.Literal('cli'), Type.Literal('console')]);
export type Channel = Static<typeof Channel>;

/**
 * Expected refusals are values, not errors. The gateway maps them to ConsoleMe's codes:
 * no_matching_role → 900, multiple_matching_roles → 901, not_eligible → 903; ip_exemption_not_allowed
 * (asking to lift or replace the IP restriction without being allowed to) has no ConsoleMe code → FORBIDDEN.
 */
export const Refusal = Type.Object({
  outcome: Type.Literal('refused'),
  reason: Type.Union([
    Type.Literal('no_matching_role'),
    Type.Literal('multiple_matching_roles'),
    Type.Literal('not_eligible'),
    Type.Literal('ip_exemption_not_allowed'),
  ]),
  message: Type.String(),
  /** The eligible roles that matched, for multiple_matching_roles. */
  matches: Type.Array(Type.String()),
});
export type Refusal = Static<typeof Refusal>;

export const IssueCredentialsRequest = Type.Object({
  caller: Caller,
  requestedRole: Type.String({ minLength: 1, description: 'Full ARN, role name, or a search string' }),
  channel: Channel,
  noIpRestrictions: Type.Optional(Type.Boolean()),
  customIpRestrictions: Type.Optional(Type.Array(Type.String())),
  context: RequestContext,
  /**
   * The caller's per-user credential limit (the gateway's `gateway.rateLimit.credentialsPerMinute`): the
   * broker charges it in the Redis round trip that reads the caller's roles, on the counter role_login
   * shares, and answers RATE_LIMITED over it. Absent: not charged (trusted internal callers).
   */
  rateLimitPerMinute: Type.Optional(Type.Integer({ minimum: 1 })),
});
export type IssueCredentialsRequest = Static<typeof IssueCredentialsRequest>;
export const IssueCredentials = defineMessage('broker.credentials.issue', 1, IssueCredentialsRequest);

export const IssuedCredentials = Type.Object({
  outcome: Type.Literal('issued'),
  roleArn: Type.String(),
  accountId: AccountId,
  credentials: Type.Object({
    accessKeyId: Type.String(),
    secretAccessKey: Type.String(),
    sessionToken: Type.String(),
    /** Unix seconds (Weep needs an integer). */
    expiration: Type.Integer(),
  }),
});
export const IssueCredentialsReply = Type.Union([IssuedCredentials, Refusal]);
export type IssueCredentialsReply = Static<typeof IssueCredentialsReply>;
export const IssueCredentialsReplied = defineMessage(
  'broker.credentials.issue.reply',
  1,
  IssueCredentialsReply,
);

export const ConsoleLoginRequest = Type.Object({
  caller: Caller,
  roleQuery: Type.String({ minLength: 1 }),
  region: Type.Optional(Type.String()),
  /** Console URL to land on instead of the region's home page. */
  redirect: Type.Optional(Type.String()),
  context: RequestContext,
});
export type ConsoleLoginRequest = Static<typeof ConsoleLoginRequest>;
export const ConsoleLogin = defineMessage('broker.console.login', 1, ConsoleLoginRequest);

export const ConsoleLoginReply = Type.Union([
  Type.Object({
    outcome: Type.Literal('signed_in'),
    roleArn: Type.String(),
    url: Type.String(),
    expiresAt: Type.Integer({ description: 'Unix seconds' }),
  }),
  Refusal,
]);
export type ConsoleLoginReply = Static<typeof ConsoleLoginReply>;
export const ConsoleLoginReplied = defineMessage('broker.console.login.reply', 1, ConsoleLoginReply);

export const EligibleRole = Type.Object({
  arn: Type.String(),
  accountId: AccountId,
  accountName: Type.String(),
  roleName: Type.String(),
  /** Granted only for the CLI (a cli-only tag or cli_only_roles mapping). */
  cliOnly: Type.Boolean(),
});
export type EligibleRole = Static<typeof EligibleRole>;

/**
 * Where a page of eligible roles starts: after this ARN (compared by UTF-16 code units), or at the start
 * when `after` is absent. A caller that sends `page` gets as many roles as fit in one NATS message and,
 * while more remain, `nextPage` to send back; without `page` the reply holds every role or, when they do
 * not fit in one message, an error (callers that predate paging).
 */
export const EligibleRolesPage = Type.Object({ after: Type.Optional(Type.String({ minLength: 1 })) });
export type EligibleRolesPage = Static<typeof EligibleRolesPage>;
export const EligibleRolesRequest = Type.Object({
  caller: Caller,
  channel: Channel,
  page: Type.Optional(EligibleRolesPage),
});
export const EligibleRolesQuery = defineMessage('broker.roles.eligible', 1, EligibleRolesRequest);
export const EligibleRolesReply = Type.Object({
  roles: Type.Array(EligibleRole),
  /** Present while roles remain after this page: the `page` of the next request. */
  nextPage: Type.Optional(Type.Object({ after: Type.String({ minLength: 1 }) })),
});
export type EligibleRolesReply = Static<typeof EligibleRolesReply>;
export const EligibleRolesReplied = defineMessage('broker.roles.eligible.reply', 1, EligibleRolesReply);

export const RoleAccessRequest = Type.Object({ roleArn: Type.String() });
export const RoleAccessQuery = defineMessage('broker.roles.access', 1, RoleAccessRequest);
export const RoleAccessReply = Type.Object({
  known: Type.Boolean({ description: 'Whether the role is in the cache at all' }),
  /** Users and groups that may use the role (any channel), sorted. */
  identities: Type.Array(Type.String()),
});
export const RoleAccessReplied = defineMessage('broker.roles.access.reply', 1, RoleAccessReply);

export const CredentialAuditEvent = Type.Object({
  id: Type.String(),
  at: Type.String({ format: 'date-time' }),
  user: Type.String(),
  groups: Type.Array(Type.String()),
  channel: Channel,
  requestedRole: Type.String(),
  roleArn: Type.Optional(Type.String()),
  /**
   * `pending`: the intent, made durable before STS is called; the same record (same id) is then completed
   * as `issued` (with the access key id) or `failed`. A `pending` record that stays so means the broker
   * stopped between STS and the completion: credentials may exist, and the record names who asked.
   */
  outcome: Type.Union([
    Type.Literal('pending'),
    Type.Literal('issued'),
    Type.Literal('refused'),
    Type.Literal('failed'),
  ]),
  reason: Type.Optional(Type.String()),
  sourceIp: Type.String(),
  userAgent: Type.String(),
  requestId: Type.String(),
  durationSeconds: Type.Optional(Type.Integer()),
  /** Never the secret key or the session token. */
  accessKeyId: Type.Optional(Type.String()),
});
export type CredentialAuditEvent = Static<typeof CredentialAuditEvent>;
export const CredentialsAudited = defineMessage('broker.audit.credentials', 1, CredentialAuditEvent);

/** The stream services/broker creates at its start and persists to DynamoDB from. */
export const brokerStreams = {
  /** Credential issuance, refusal and failure audit events (only the event subjects, see above). */
  audit: defineStream({
    name: 'AUDIT',
    owner: 'broker',
    subjects: [brokerSubjects.credentialsAuditedAll],
    retention: 'limits',
    maxAgeSeconds: 30 * 24 * 3600,
    duplicateWindowSeconds: 3600,
  }),
} as const;

/** What services/broker publishes to JetStream. */
export const brokerEvents = {
  /**
   * Id: the record's id and outcome, so a retried publish is one message, and an intent (`pending`)
   * and its completion are two.
   */
  credentialsAudited: defineEvent({
    owner: 'broker',
    stream: brokerStreams.audit,
    message: CredentialsAudited,
    subject: (event) => brokerSubjects.credentialsAudited(event.outcome),
    msgId: (event) => `${event.id}:${event.outcome}`,
  }),
} as const;

export const AuditQueryRequest = Type.Object({
  user: Type.Optional(Type.String()),
  role: Type.Optional(Type.String()),
  since: Type.Optional(Type.String({ format: 'date-time' })),
  cursor: Type.Optional(Type.String()),
  limit: Type.Integer({ minimum: 1, maximum: 500 }),
});
export const AuditQuery = defineMessage('broker.audit.query', 1, AuditQueryRequest);
export const AuditQueryReply = Type.Object({
  items: Type.Array(CredentialAuditEvent),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});
export const AuditQueryReplied = defineMessage('broker.audit.query.reply', 1, AuditQueryReply);

/**
 * What services/broker answers over NATS request/reply. The gateway calls these with `request`, the
 * broker registers them with `serve`; both are typed from this object.
 */
export const brokerOperations = {
  issueCredentials: defineOperation({
    owner: 'broker',
    subject: brokerSubjects.issueCredentials,
    request: IssueCredentials,
    reply: IssueCredentialsReplied,
    errors: ['AUDIT_UNAVAILABLE', 'UPSTREAM_FAILED', 'ACCESS_DENIED', 'REDIS_UNAVAILABLE', 'RATE_LIMITED'],
  }),
  consoleLogin: defineOperation({
    owner: 'broker',
    subject: brokerSubjects.consoleLogin,
    request: ConsoleLogin,
    reply: ConsoleLoginReplied,
    errors: [
      'VALIDATION_FAILED',
      'AUDIT_UNAVAILABLE',
      'UPSTREAM_FAILED',
      'ACCESS_DENIED',
      'REDIS_UNAVAILABLE',
    ],
  }),
  eligibleRoles: defineOperation({
    owner: 'broker',
    subject: brokerSubjects.eligibleRoles,
    request: EligibleRolesQuery,
    reply: EligibleRolesReplied,
    errors: ['REDIS_UNAVAILABLE'],
  }),
  roleAccess: defineOperation({
    owner: 'broker',
    subject: brokerSubjects.roleAccess,
    request: RoleAccessQuery,
    reply: RoleAccessReplied,
    errors: ['REDIS_UNAVAILABLE'],
  }),
  queryAudit: defineOperation({
    owner: 'broker',
    subject: brokerSubjects.queryAudit,
    request: AuditQuery,
    reply: AuditQueryReplied,
    errors: ['INVALID_CURSOR', 'UPSTREAM_FAILED', 'UPSTREAM_UNAVAILABLE'],
  }),
} as const;
