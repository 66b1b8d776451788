import './formats.js';
import { Type, type Static } from 'typebox';
import { Caller } from './broker.js';
import { defineMessage } from './envelope.js';
import { LiteralUnion } from './literal-union.js';
import { defineOperation } from './operation.js';
import { RequestCreationModel } from './requests.js';

/*
 * "Could this principal do that?" (`POST /api/v3/access/simulate`, answered by services/requests, which
 * reads the cache and owns the requests whose changes it can apply to it) and "from AccessDenied to a
 * request" (`POST /api/v3/access-denied`, answered by the gateway alone: it only parses text). camelCase,
 * as every /api/v3 body.
 */

/** Subjects owned by services/requests for access questions. */
export const accessSubjects = {
  simulate: 'requests.access.simulate',
} as const;

/** An IAM ARN as the API accepts it: bounded, no whitespace. The simulator checks its shape further. */
const Arn = Type.String({ minLength: 1, maxLength: 2048, pattern: '^arn:[^\\s]+$' });

/** `POST /api/v3/access/simulate`. */
export const AccessSimulationQuery = Type.Object(
  {
    /** An IAM role, an IAM user, or an assumed-role session (evaluated with its role's policies). */
    principal: Arn,
    /** One action, `service:Action` (no wildcards). */
    action: Type.String({ minLength: 3, maxLength: 256, pattern: '^[A-Za-z0-9-]+:[A-Za-z0-9]+$' }),
    /** The resource ARN the action is asked on, or `*` for actions that take no resource. */
    resource: Type.Union([Arn, Type.Literal('*')]),
    /** Request context keys (`aws:SourceIp`, `s3:prefix`…) and their values. */
    context: Type.Optional(
      Type.Record(
        Type.String({ minLength: 1, maxLength: 256 }),
        Type.Union([
          Type.String({ maxLength: 1024 }),
          Type.Array(Type.String({ maxLength: 1024 }), { maxItems: 50 }),
        ]),
        { maxProperties: 50 },
      ),
    ),
    /** Answer as if this request's changes were applied to the cached state. */
    request_id: Type.Optional(Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$' })),
  },
  { additionalProperties: false },
);
export type AccessSimulationQuery = Static<typeof AccessSimulationQuery>;

/**
 * Why the answer is what it is. `explicit_deny`: a Deny matched; `implicit_deny`: no identity policy (or,
 * for sts:AssumeRole, no trust policy) allows it; `permissions_boundary`: allowed by identity policies but
 * outside the boundary; `resource_policy`: the resource is in another account and its policy does not
 * grant it (or the resource requires its own policy to allow it); `principal_not_found`: the principal is
 * not in the cache, so nothing is known that could allow it.
 */
export const SimulationReasons = [
  'allowed',
  'explicit_deny',
  'implicit_deny',
  'permissions_boundary',
  'resource_policy',
  'principal_not_found',
] as const;
export const SimulationReason = LiteralUnion(SimulationReasons);
export type SimulationReason = Static<typeof SimulationReason>;

/** A statement that decided the answer: the Allows that granted it, or the Deny (or missing Allow) that refused it. */
export const DecidingStatement = Type.Object({
  /** Where the statement is: "inline policy read on role app", "bucket policy of assets", "permissions boundary …". */
  source: Type.String(),
  /** Which kind of policy: identity, resource (including trust policies), permissions_boundary. */
  policyType: LiteralUnion(['identity', 'resource', 'permissions_boundary', 'scp', 'rcp', 'session']),
  /** The policy's ARN, for managed policies and boundaries. */
  policyArn: Type.Optional(Type.String()),
  /** 0-based, into the document's `Statement` array. */
  statementIndex: Type.Integer({ minimum: 0 }),
  sid: Type.Optional(Type.String()),
  effect: LiteralUnion(['Allow', 'Deny']),
});
export type DecidingStatement = Static<typeof DecidingStatement>;

export const AccessSimulationAnswer = Type.Object({
  decision: LiteralUnion(['allowed', 'denied']),
  allowed: Type.Boolean(),
  reason: SimulationReason,
  /** A sentence a person can read. */
  explanation: Type.String(),
  decidingStatements: Type.Array(DecidingStatement),
  /**
   * What the evaluation needs that the cache lacks (SCPs are not crawled, the bucket is not cached, an AWS
   * managed policy's document…): each could change the answer, and none of it was guessed.
   */
  missing: Type.Array(Type.String()),
  /** The ARN whose policies were evaluated (an assumed-role session is evaluated as its role). */
  evaluatedPrincipal: Type.String(),
  /** The account the resource is in, when known. */
  resourceAccount: Type.Optional(Type.String()),
  /** Context keys given that do not apply to this action and were left out. */
  ignoredContextKeys: Type.Array(Type.String()),
  /** The request whose changes were applied to the cached state before evaluating. */
  afterRequest: Type.Optional(Type.String()),
});
export type AccessSimulationAnswer = Static<typeof AccessSimulationAnswer>;

/**
 * The simulation's reply: an answer, or a refusal of the question (`invalid`: 400 with `code`;
 * `not_found`: the request named by `request_id` does not exist, 404).
 */
export const AccessSimulationReply = Type.Union([
  Type.Object({ outcome: Type.Literal('answered'), answer: AccessSimulationAnswer }),
  Type.Object({
    outcome: Type.Literal('refused'),
    kind: LiteralUnion(['invalid', 'not_found']),
    code: Type.String(),
    message: Type.String(),
  }),
]);
export type AccessSimulationReply = Static<typeof AccessSimulationReply>;

export const SimulateAccessData = Type.Object({ caller: Caller, query: AccessSimulationQuery });
export const SimulateAccess = defineMessage('requests.access.simulate', 1, SimulateAccessData);

/** Access questions services/requests answers over NATS request/reply (served beside requestsOperations). */
export const accessOperations = {
  simulate: defineOperation({
    owner: 'requests',
    subject: accessSubjects.simulate,
    request: SimulateAccess,
    reply: defineMessage('requests.access.simulate.reply', 1, AccessSimulationReply),
    errors: ['REDIS_UNAVAILABLE', 'UPSTREAM_UNAVAILABLE', 'UPSTREAM_FAILED'],
  }),
} as const;

/*
 * From AccessDenied to a request.
 */

/** Longest error message accepted: AWS's longest (an encoded authorization message) is a few KB. */
export const ACCESS_DENIED_MESSAGE_MAX = 65_536;

export const AccessDeniedQuery = Type.Object(
  { message: Type.String({ minLength: 1, maxLength: ACCESS_DENIED_MESSAGE_MAX }) },
  { additionalProperties: false },
);
export type AccessDeniedQuery = Static<typeof AccessDeniedQuery>;

/**
 * What denied the call, as the message says it. `no_identity_policy`: no identity-based policy allows it;
 * `resource_policy`: no resource-based policy allows it; `explicit_deny_*`: a Deny in an identity or
 * resource-based policy; `scp`/`rcp`: an AWS Organizations service or resource control policy;
 * `permissions_boundary`, `session_policy`; `unknown`: the message does not say (S3's bare "Access
 * Denied", an encoded EC2 message, text that is not an AWS error).
 */
export const DeniedByValues = [
  'no_identity_policy',
  'explicit_deny_identity',
  'explicit_deny_resource',
  'scp',
  'rcp',
  'permissions_boundary',
  'session_policy',
  'resource_policy',
  'vpc_endpoint_policy',
  'unknown',
] as const;
export const DeniedBy = LiteralUnion(DeniedByValues);
export type DeniedBy = Static<typeof DeniedBy>;

export const AccessDeniedAnswer = Type.Object({
  /** Whether the text was recognised as an AWS authorization error. */
  recognized: Type.Boolean(),
  /** The caller as the message names it. */
  principal: Type.Optional(Type.String()),
  /** The IAM role or user a grant would go on (an assumed-role session's role). */
  grantee: Type.Optional(Type.String()),
  action: Type.Optional(Type.String()),
  resource: Type.Optional(Type.String()),
  deniedBy: DeniedBy,
  /** Whether an inline-policy grant on the principal would make the call succeed. */
  canRequest: Type.Boolean(),
  explanation: Type.String(),
  /** A request granting exactly the action on the resource, ready for `POST /api/v2/request`. */
  request: Type.Optional(RequestCreationModel),
  /** EC2's encoded authorization message, to decode with `aws sts decode-authorization-message`. */
  encodedMessage: Type.Optional(Type.String()),
});
export type AccessDeniedAnswer = Static<typeof AccessDeniedAnswer>;
