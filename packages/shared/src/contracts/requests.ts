import './formats.js';
import { LiteralUnion } from './literal-union.js';
import { Type, type Static, type TSchema } from 'typebox';
import { Caller } from './broker.js';
import { defineMessage } from './envelope.js';
import { defineEvent, defineStream } from './event.js';
import { defineOperation } from './operation.js';
import { AccountId } from './resources.js';

/*
 * Policy requests (services/requests). The HTTP shapes are ConsoleMe's (`consoleme/models.py`), snake_case,
 * so its UI and scripts keep working; what Rolecall adds (per-change errors and expiry, approvals, the
 * approval explanation, request history) is additive. NATS operations wrap those bodies in a camelCase
 * envelope (`caller`, `requestId`), and the events on the bus are camelCase.
 */

/** Subjects owned by services/requests. */
export const requestsSubjects = {
  /*
   * Operations use the plural entity: a stream over `requests.policy-request.>` must not take in the
   * requests, which it would answer with a publish ack before the service could.
   */
  create: 'requests.policy-requests.create',
  list: 'requests.policy-requests.list',
  get: 'requests.policy-requests.get',
  modify: 'requests.policy-requests.modify',
  events: 'requests.policy-requests.history',
  /** JetStream (stream REQUEST_EVENTS): one event per change of a request's state. */
  happened: (kind: PolicyRequestEventKind) => `requests.policy-request.${kind}`,
  happenedAll: 'requests.policy-request.>',
} as const;

const DateTime = Type.String({ format: 'date-time' });

/** `30m`, `4h`, `2d`, `1w`: a positive whole number of minutes, hours, days or weeks. */
export const DurationPattern = '^[1-9][0-9]{0,5}[mhdw]$';
export const Duration = Type.String({
  pattern: DurationPattern,
  description: 'A positive whole number and a unit: m (minutes), h (hours), d (days) or w (weeks)',
});

/** A change's status. ConsoleMe has applied, not_applied and cancelled; Rolecall adds failed and expired. */
export const ChangeStatuses = ['not_applied', 'applied', 'failed', 'cancelled', 'expired'] as const;
export const ChangeStatus = LiteralUnion(ChangeStatuses);
export type ChangeStatus = Static<typeof ChangeStatus>;

/**
 * A request's status. ConsoleMe has pending, approved, rejected and cancelled. Rolecall adds `applying`
 * (approved, changes being applied: the durable mark a restarted service resumes from), `failed`
 * (approved, and at least one change failed to apply) and `expired` (every applied change has expired).
 */
export const RequestStatuses = [
  'pending',
  'applying',
  'approved',
  'failed',
  'rejected',
  'cancelled',
  'expired',
] as const;
export const RequestStatus = LiteralUnion(RequestStatuses);
export type RequestStatus = Static<typeof RequestStatus>;

/** ConsoleMe's principal: an AWS IAM principal (role, user) or, for managed_policy_resource, a policy ARN. */
export const PrincipalModel = Type.Object({
  principal_type: Type.Literal('AwsResource'),
  principal_arn: Type.String({ minLength: 1 }),
});
export type PrincipalModel = Static<typeof PrincipalModel>;

/** A policy document as ConsoleMe carries it: parsed JSON, or JSON text that the server parses. */
export const PolicyModel = Type.Object({
  version: Type.Optional(Type.String()),
  policy_document: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.String()]),
  policy_sha256: Type.Optional(Type.String()),
});
export type PolicyModel = Static<typeof PolicyModel>;

export const ResourceModel = Type.Object({
  arn: Type.String(),
  name: Type.String(),
  account_id: Type.Optional(Type.String()),
  region: Type.Optional(Type.String()),
  account_name: Type.Optional(Type.String()),
  policy_sha256: Type.Optional(Type.String()),
  policy: Type.Optional(Type.String()),
  actions: Type.Optional(Type.Array(Type.String())),
  owner: Type.Optional(Type.String()),
  approvers: Type.Optional(Type.Array(Type.String())),
  resource_type: Type.String(),
  last_updated: Type.Optional(Type.Integer()),
});
export type ResourceModel = Static<typeof ResourceModel>;

/** Why a change was not applied, or what its removal found: a stable code and a message for a person. */
export const ChangeError = Type.Object({
  code: Type.String(),
  message: Type.String(),
  at: DateTime,
});
export type ChangeError = Static<typeof ChangeError>;

/*
 * Policy intelligence on a change (issue 10 §1–2): what @rolecall/policy finds in its document and what it
 * newly grants. `POST /api/v2/policies/check` answers the same findings.
 */

export const FindingSeverities = ['error', 'warning', 'info'] as const;
export const FindingSeverity = LiteralUnion(FindingSeverities);
export type FindingSeverity = Static<typeof FindingSeverity>;

/** One thing a policy check found: a stable code, how bad it is, a message for a person, and where. */
export const PolicyFinding = Type.Object({
  code: Type.String({ description: 'Stable, SCREAMING_SNAKE (UNKNOWN_ACTION, PUBLIC_RESOURCE_POLICY…)' }),
  severity: FindingSeverity,
  message: Type.String(),
  /** The statement's index in `Statement` (0 for a single statement object); null for the whole document. */
  statementIndex: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  /** A JSON path into the document: `$`, `$.Statement[0].Action[1]`. */
  path: Type.String(),
  detail: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});
export type PolicyFinding = Static<typeof PolicyFinding>;

/** IAM's access levels, as AWS's service authorization reference names them. */
export const AccessLevels = ['List', 'Read', 'Write', 'Permissions management', 'Tagging'] as const;
export const AccessLevel = LiteralUnion(AccessLevels);
export type AccessLevel = Static<typeof AccessLevel>;

/** Actions of one service and access level that a document allows, on these resources. */
export const GrantGroup = Type.Object({
  service: Type.String(),
  accessLevel: AccessLevel,
  /** Wildcards expanded from the IAM data, sorted; empty only when `everyAction` and the table is truncated. */
  actions: Type.Array(Type.String()),
  resources: Type.Array(Type.String()),
  /** The group holds every action of the service at this access level. */
  everyAction: Type.Optional(Type.Boolean()),
});
export type GrantGroup = Static<typeof GrantGroup>;

/** What a change's document allows that the document before did not (`added`), and the reverse. */
export const NewlyGranted = Type.Object({
  added: Type.Array(GrantGroup),
  removed: Type.Array(GrantGroup),
  /** The table listed too many actions: groups with `everyAction` leave their list empty. */
  truncated: Type.Optional(Type.Boolean()),
});
export type NewlyGranted = Static<typeof NewlyGranted>;

/** Fields every change type has: ConsoleMe's, then Rolecall's (expiry, outcome). */
const changeBase = {
  principal: PrincipalModel,
  /** Assigned by the server: `{request id}{n}` for the requester's changes, a uuid for generated ones. */
  id: Type.Optional(Type.String()),
  version: Type.Optional(Type.String({ description: 'ConsoleMe change schema version, "3.0"' })),
  status: Type.Optional(ChangeStatus),
  autogenerated: Type.Optional(Type.Boolean()),
  updated_by: Type.Optional(Type.String()),
  resources: Type.Optional(Type.Array(ResourceModel)),
  /**
   * When the grant ends: an ISO date-time, or ConsoleMe's YYYYMMDD integer (midnight UTC that day).
   * Exclusive with `expires_in`.
   */
  expiration_date: Type.Optional(
    Type.Union([DateTime, Type.Integer({ minimum: 19700101, maximum: 99991231 })]),
  ),
  /** How long the grant lasts, counted from its approval. */
  expires_in: Type.Optional(Duration),
  /** The instant the grant ends, fixed at approval. */
  expires_at: Type.Optional(DateTime),
  applied_at: Type.Optional(DateTime),
  expired_at: Type.Optional(DateTime),
  /** The last apply's failure (status `failed`). */
  error: Type.Optional(ChangeError),
  /** The Sids of the statements Rolecall added when it applied the change: what its expiry removes. */
  granted_sids: Type.Optional(Type.Array(Type.String())),
  /** What the removal at expiry found, where it was not exactly what Rolecall had put there. */
  expiry_findings: Type.Optional(Type.Array(ChangeError)),
  /** The policy check of the change's document (changes that carry one), computed when it is shown. */
  findings: Type.Optional(Type.Array(PolicyFinding)),
  /** What the change's document allows that `old_policy` did not, and the reverse; computed when shown. */
  newly_granted: Type.Optional(NewlyGranted),
};

export const InlinePolicyChangeModel = Type.Object({
  ...changeBase,
  change_type: Type.Literal('inline_policy'),
  /** Generated when absent. */
  policy_name: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  /** attach + new: create the policy; attach + !new: update it; detach: delete it. */
  new: Type.Optional(Type.Boolean({ default: true })),
  action: Type.Union([Type.Literal('attach'), Type.Literal('detach')]),
  policy: Type.Optional(PolicyModel),
  old_policy: Type.Optional(PolicyModel),
});
export type InlinePolicyChangeModel = Static<typeof InlinePolicyChangeModel>;

export const ManagedPolicyChangeModel = Type.Object({
  ...changeBase,
  change_type: Type.Literal('managed_policy'),
  arn: Type.String({ minLength: 1 }),
  policy_name: Type.Optional(Type.String()),
  action: Type.Union([Type.Literal('attach'), Type.Literal('detach')]),
});
export type ManagedPolicyChangeModel = Static<typeof ManagedPolicyChangeModel>;

export const PermissionsBoundaryChangeModel = Type.Object({
  ...changeBase,
  change_type: Type.Literal('permissions_boundary'),
  arn: Type.String({ minLength: 1 }),
  policy_name: Type.Optional(Type.String()),
  action: Type.Union([Type.Literal('attach'), Type.Literal('detach')]),
});
export type PermissionsBoundaryChangeModel = Static<typeof PermissionsBoundaryChangeModel>;

export const AssumeRolePolicyChangeModel = Type.Object({
  ...changeBase,
  change_type: Type.Literal('assume_role_policy'),
  policy: PolicyModel,
  old_policy: Type.Optional(PolicyModel),
  source_change_id: Type.Optional(Type.String()),
});
export type AssumeRolePolicyChangeModel = Static<typeof AssumeRolePolicyChangeModel>;

const resourcePolicyFields = {
  ...changeBase,
  /** The resource whose policy changes (bucket, queue, topic; for sts_resource_policy, the role). */
  arn: Type.String({ minLength: 1 }),
  policy: PolicyModel,
  old_policy: Type.Optional(PolicyModel),
  /** The change that this one was generated for. */
  source_change_id: Type.Optional(Type.String()),
  supported: Type.Optional(Type.Boolean()),
};

export const ResourcePolicyChangeModel = Type.Object({
  ...resourcePolicyFields,
  change_type: Type.Literal('resource_policy'),
});
export type ResourcePolicyChangeModel = Static<typeof ResourcePolicyChangeModel>;

export const StsResourcePolicyChangeModel = Type.Object({
  ...resourcePolicyFields,
  change_type: Type.Literal('sts_resource_policy'),
});
export type StsResourcePolicyChangeModel = Static<typeof StsResourcePolicyChangeModel>;

export const ResourceTagChangeModel = Type.Object({
  ...changeBase,
  change_type: Type.Literal('resource_tag'),
  /** The tagged resource when it is not the principal (S3, SQS, SNS, a managed policy). */
  arn: Type.Optional(Type.String({ minLength: 1 })),
  tag_action: Type.Union([Type.Literal('create'), Type.Literal('update'), Type.Literal('delete')]),
  key: Type.String({ minLength: 1, maxLength: 128 }),
  value: Type.Optional(Type.String({ maxLength: 256 })),
  /** For a rename (update): the key before. */
  original_key: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  original_value: Type.Optional(Type.String({ maxLength: 256 })),
});
export type ResourceTagChangeModel = Static<typeof ResourceTagChangeModel>;

/** The principal is the customer managed policy's ARN; `new` creates it, else a new default version. */
export const ManagedPolicyResourceChangeModel = Type.Object({
  ...changeBase,
  change_type: Type.Literal('managed_policy_resource'),
  new: Type.Optional(Type.Boolean({ default: true })),
  policy: PolicyModel,
  old_policy: Type.Optional(PolicyModel),
});
export type ManagedPolicyResourceChangeModel = Static<typeof ManagedPolicyResourceChangeModel>;

export const ChangeTypes = [
  'inline_policy',
  'managed_policy',
  'permissions_boundary',
  'assume_role_policy',
  'resource_policy',
  'sts_resource_policy',
  'resource_tag',
  'managed_policy_resource',
] as const;
export const ChangeType = LiteralUnion(ChangeTypes);
export type ChangeType = Static<typeof ChangeType>;

export const ChangeModel = Type.Union([
  InlinePolicyChangeModel,
  ManagedPolicyChangeModel,
  PermissionsBoundaryChangeModel,
  AssumeRolePolicyChangeModel,
  ResourcePolicyChangeModel,
  StsResourcePolicyChangeModel,
  ResourceTagChangeModel,
  ManagedPolicyResourceChangeModel,
]);
export type ChangeModel = Static<typeof ChangeModel>;
/** One change type's model: `ChangeOf<'resource_tag'>` is `ResourceTagChangeModel`. */
export type ChangeOf<T extends ChangeType> = Extract<ChangeModel, { change_type: T }>;

export const ChangeModelArray = Type.Object({
  changes: Type.Array(ChangeModel, { minItems: 1, maxItems: 50 }),
});
export type ChangeModelArray = Static<typeof ChangeModelArray>;

export const UserModel = Type.Object({
  email: Type.String(),
  extended_info: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  details_url: Type.Optional(Type.String()),
  photo_url: Type.Optional(Type.String()),
});
export type UserModel = Static<typeof UserModel>;

export const CommentModel = Type.Object({
  id: Type.String(),
  timestamp: DateTime,
  edited: Type.Boolean(),
  last_modified: Type.Optional(DateTime),
  user_email: Type.String(),
  user: Type.Optional(UserModel),
  text: Type.String(),
});
export type CommentModel = Static<typeof CommentModel>;

/** One approval given (Rolecall; ConsoleMe has a single reviewer). */
export const ApprovalModel = Type.Object({
  user: Type.String(),
  /** The approver's groups when they approved: which requirements the approval counts toward. */
  groups: Type.Array(Type.String()),
  at: DateTime,
});
export type ApprovalModel = Static<typeof ApprovalModel>;

/**
 * What one approval requirement asks and how far it is: `admins` (no rule matched: one admin), `rule`
 * (a rule's approvers for matching accounts), `owner` (the group named by a resource's owner tag).
 */
export const ApprovalRequirement = Type.Object({
  kind: Type.Union([Type.Literal('admins'), Type.Literal('rule'), Type.Literal('owner')]),
  rule: Type.String({ description: 'The rule name, or "admins"' }),
  /** Users and groups whose members may approve (admins always may). */
  approvers: Type.Array(Type.String()),
  required: Type.Integer({ minimum: 1 }),
  /** The distinct approvals that count toward it. */
  approved_by: Type.Array(Type.String()),
  remaining: Type.Integer({ minimum: 0 }),
  allow_self_approval: Type.Boolean(),
  /** Why it applies ("account 111111111111 matches prod", "owner=team-data on arn:…"). */
  reason: Type.String(),
});
export type ApprovalRequirement = Static<typeof ApprovalRequirement>;

/** `GET /api/v2/requests/{id}`'s added `approval` field: which rules apply and who still needs to approve. */
export const ApprovalExplanation = Type.Object({
  satisfied: Type.Boolean(),
  requirements: Type.Array(ApprovalRequirement),
  /** The auto-approval rule that approved the request, when one did. */
  auto_approved_by: Type.Optional(Type.String()),
  /** One sentence for the page ("needs 1 more approval from prod-approvers"). */
  summary: Type.String(),
});
export type ApprovalExplanation = Static<typeof ApprovalExplanation>;

export const ExtendedRequestModel = Type.Object({
  id: Type.String(),
  /** Grows by one with every saved change; `PUT` may name it to refuse a stale edit. */
  version: Type.Integer({ minimum: 1 }),
  request_url: Type.Optional(Type.String()),
  principal: PrincipalModel,
  timestamp: DateTime,
  justification: Type.Optional(Type.String()),
  requester_email: Type.String({ maxLength: 320 }),
  /** Who may approve (ConsoleMe always left it empty). */
  approvers: Type.Array(Type.String()),
  request_status: RequestStatus,
  cross_account: Type.Boolean(),
  arn_url: Type.Optional(Type.String()),
  admin_auto_approve: Type.Boolean(),
  changes: ChangeModelArray,
  requester_info: UserModel,
  /** The admin, approvers or auto-approval rule (`rule:<name>`) that approved or rejected it. */
  reviewer: Type.Optional(Type.String()),
  comments: Type.Array(CommentModel),
  approvals: Type.Array(ApprovalModel),
  last_updated: DateTime,
});
export type ExtendedRequestModel = Static<typeof ExtendedRequestModel>;

/** `POST /api/v2/request`. */
export const RequestCreationModel = Type.Object({
  changes: ChangeModelArray,
  justification: Type.Optional(Type.String({ maxLength: 4000 })),
  dry_run: Type.Optional(Type.Boolean({ default: false })),
  admin_auto_approve: Type.Optional(Type.Boolean({ default: false })),
});
export type RequestCreationModel = Static<typeof RequestCreationModel>;

export const ActionResult = Type.Object({
  status: Type.Union([Type.Literal('success'), Type.Literal('error')]),
  message: Type.String(),
  visible: Type.Optional(Type.Boolean()),
});
export type ActionResult = Static<typeof ActionResult>;

/** A problem found validating a change against the cache: a stable code, a message, where. */
export const ChangeProblem = Type.Object({
  code: Type.String(),
  message: Type.String(),
  /** The change's index in the request, when the problem is about one change. */
  change_index: Type.Optional(Type.Integer({ minimum: 0 })),
  /** A JSON pointer into the change (`/policy/policy_document`). */
  path: Type.Optional(Type.String()),
});
export type ChangeProblem = Static<typeof ChangeProblem>;

export const RequestCreationResponse = Type.Object({
  errors: Type.Integer({ minimum: 0 }),
  request_created: Type.Boolean(),
  request_id: Type.Optional(Type.String()),
  request_url: Type.Optional(Type.String()),
  action_results: Type.Array(ActionResult),
  extended_request: Type.Optional(ExtendedRequestModel),
  problems: Type.Optional(Type.Array(ChangeProblem)),
});
export type RequestCreationResponse = Static<typeof RequestCreationResponse>;

/** `request_config` of `GET /api/v2/requests/{id}`: what the caller may do. */
export const RequestConfig = Type.Object({
  can_approve_reject: Type.Boolean(),
  can_update_cancel: Type.Boolean(),
  can_move_back_to_pending: Type.Boolean(),
});
export type RequestConfig = Static<typeof RequestConfig>;

const version = Type.Optional(
  Type.Integer({ minimum: 1, description: 'The version the caller saw; a newer one refuses the command' }),
);
const command = <C extends string, P extends Record<string, TSchema>>(name: C, properties: P) =>
  Type.Object({ command: Type.Literal(name), version, ...properties });

export const AddCommentCommand = command('add_comment', {
  comment_text: Type.String({ minLength: 1, maxLength: 10_000 }),
});
export const UpdateChangeCommand = command('update_change', {
  change_id: Type.String({ minLength: 1 }),
  policy_document: PolicyModel.properties.policy_document,
});
export const ApplyChangeCommand = command('apply_change', {
  change_id: Type.String({ minLength: 1 }),
  policy_document: Type.Optional(PolicyModel.properties.policy_document),
});
export const CancelChangeCommand = command('cancel_change', { change_id: Type.String({ minLength: 1 }) });
export const ApproveRequestCommand = command('approve_request', {
  /** Accepted for ConsoleMe compatibility and ignored, as ConsoleMe did: edit with update_change. */
  policy_request_changes: Type.Optional(Type.Array(Type.Unknown())),
});
export const RejectRequestCommand = command('reject_request', {});
export const CancelRequestCommand = command('cancel_request', {});
export const MoveBackToPendingCommand = command('move_back_to_pending', {});

export const ModificationCommand = Type.Union([
  AddCommentCommand,
  UpdateChangeCommand,
  ApplyChangeCommand,
  CancelChangeCommand,
  ApproveRequestCommand,
  RejectRequestCommand,
  CancelRequestCommand,
  MoveBackToPendingCommand,
]);
export type ModificationCommand = Static<typeof ModificationCommand>;
export type CommandName = ModificationCommand['command'];
export type CommandOf<N extends CommandName> = Extract<ModificationCommand, { command: N }>;

/** `PUT /api/v2/requests/{id}`. */
export const PolicyRequestModificationModel = Type.Object({ modification_model: ModificationCommand });
export type PolicyRequestModificationModel = Static<typeof PolicyRequestModificationModel>;

export const PolicyRequestModificationResponse = Type.Object({
  errors: Type.Integer({ minimum: 0 }),
  action_results: Type.Array(ActionResult),
  /** The request's version after the command. */
  version: Type.Optional(Type.Integer({ minimum: 1 })),
});
export type PolicyRequestModificationResponse = Static<typeof PolicyRequestModificationResponse>;

/** `POST /api/v2/requests`: column → regex, or [start, end] in epoch seconds for the time columns. */
export const RequestListColumns = [
  'request_id',
  'arn',
  'principal',
  'status',
  'justification',
  'request_time',
  'last_updated',
  'username',
] as const;
export const RequestListFilters = Type.Object({
  filters: Type.Optional(
    Type.Object(
      Object.fromEntries(
        RequestListColumns.map((column) => [
          column,
          Type.Optional(
            Type.Union([Type.String({ maxLength: 1000 }), Type.Tuple([Type.Number(), Type.Number()])]),
          ),
        ]),
      ),
      { additionalProperties: false },
    ),
  ),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 1000 })),
});
export type RequestListFilters = Static<typeof RequestListFilters>;

/** One row of the request list (ConsoleMe's DynamoDB row without the embedded request). */
export const RequestListItem = Type.Object({
  request_id: Type.String(),
  arn: Type.String(),
  principal: PrincipalModel,
  status: RequestStatus,
  justification: Type.Optional(Type.String()),
  request_time: Type.Integer({ description: 'Epoch seconds' }),
  last_updated: Type.Integer({ description: 'Epoch seconds' }),
  username: Type.String(),
  version: Type.Integer({ minimum: 1 }),
  cross_account: Type.Boolean(),
});
export type RequestListItem = Static<typeof RequestListItem>;

/** What a request's history records and what its events announce. */
export const PolicyRequestEventKinds = [
  'created',
  'commented',
  'updated',
  'approved',
  'rejected',
  'cancelled',
  'applied',
  'failed',
  'expired',
] as const;
export const PolicyRequestEventKind = LiteralUnion(PolicyRequestEventKinds);
export type PolicyRequestEventKind = Static<typeof PolicyRequestEventKind>;

/**
 * The finer step each history item records; its `kind` (the subject) is coarser. `updated` covers the
 * steps that change a request without deciding it (a change edited or cancelled, one approval of several
 * given, moved back to pending).
 */
export const HistoryTypes = {
  created: 'created',
  commented: 'commented',
  change_updated: 'updated',
  change_cancelled: 'updated',
  approval_recorded: 'updated',
  moved_back_to_pending: 'updated',
  approved: 'approved',
  rejected: 'rejected',
  cancelled: 'cancelled',
  change_applied: 'applied',
  change_failed: 'failed',
  change_expired: 'expired',
} as const satisfies Record<string, PolicyRequestEventKind>;
export type HistoryType = keyof typeof HistoryTypes;
export const HistoryType = LiteralUnion(Object.keys(HistoryTypes) as HistoryType[]);

/**
 * One item of a request's history (`GET /api/v3/requests/{id}/events`), also published on JetStream.
 * `version` is the request's version the step produced; with `type` and `changeId` it identifies the item.
 */
export const PolicyRequestHistoryItem = Type.Object({
  requestId: Type.String(),
  kind: PolicyRequestEventKind,
  type: HistoryType,
  /** Who did it: a user's email, `rule:<name>` for an auto-approval, `rolecall` for expiry and apply. */
  actor: Type.String(),
  at: DateTime,
  version: Type.Integer({ minimum: 1 }),
  /** The request's status after the step. */
  status: RequestStatus,
  principalArn: Type.String(),
  changeId: Type.Optional(Type.String()),
  /** The comment text, or the error or finding of an apply or expiry. */
  message: Type.Optional(Type.String()),
});
export type PolicyRequestHistoryItem = Static<typeof PolicyRequestHistoryItem>;
export const PolicyRequestHappened = defineMessage('requests.policy-request', 1, PolicyRequestHistoryItem);

export const requestsStreams = {
  /** Every step of every request, for the request list in Redis, notifications and outside subscribers. */
  events: defineStream({
    name: 'REQUEST_EVENTS',
    owner: 'requests',
    subjects: [requestsSubjects.happenedAll],
    retention: 'limits',
    maxAgeSeconds: 30 * 24 * 3600,
    duplicateWindowSeconds: 3600,
  }),
} as const;

/** What services/requests publishes to JetStream. */
export const requestsEvents = {
  /** Id: request, version, step and change, so a retried publish of one step is one message. */
  policyRequestHappened: defineEvent({
    owner: 'requests',
    stream: requestsStreams.events,
    message: PolicyRequestHappened,
    subject: (item) => requestsSubjects.happened(item.kind),
    msgId: (item) => `${item.requestId}:${item.version}:${item.type}:${item.changeId ?? ''}`,
  }),
} as const;

/*
 * Approval rules, in the dynamic config document under `policy_requests` (snake_case, validated on save).
 */

/** Who approves requests that touch matching accounts, or resources carrying an owner tag. */
export const ApprovalRule = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$' }),
    /** Account ids the rule covers; absent: every account. */
    accounts: Type.Optional(Type.Array(AccountId, { minItems: 1 })),
    /** Users and groups that may approve (admins always may). */
    approvers: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    /**
     * A tag key: every touched resource carrying it needs approvals from the group its value names
     * (`owner=team-data` → team-data).
     */
    owner_tag: Type.Optional(Type.String({ minLength: 1 })),
    /** Distinct people needed (per owner group for an owner rule). */
    min_approvals: Type.Optional(Type.Integer({ minimum: 1, maximum: 10, default: 1 })),
    allow_self_approval: Type.Optional(Type.Boolean({ default: false })),
  },
  { additionalProperties: false },
);
export type ApprovalRule = Static<typeof ApprovalRule>;

/** Requests that are approved and applied without a person, with the rule recorded as the reviewer. */
export const AutoApprovalRule = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$' }),
    /** Every change's account must be one of these. */
    accounts: Type.Array(AccountId, { minItems: 1 }),
    /** IAM wildcard patterns the request's principal ARN must match. */
    principal_arns: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
    /** Every allowed action must start with one of these (`s3:Get`, `sqs:Receive`), case-insensitively. */
    action_prefixes: Type.Optional(
      Type.Array(Type.String({ minLength: 1, pattern: '^[A-Za-z0-9-]+:[A-Za-z0-9]*$' }), { minItems: 1 }),
    ),
    /**
     * Every action the request newly grants (wildcards expanded from the IAM data) must be at one of these
     * access levels. A rule names `action_prefixes`, `access_levels` or both; each it names must hold.
     */
    access_levels: Type.Optional(Type.Array(AccessLevel, { minItems: 1, uniqueItems: true })),
    /** Every change must expire within this; absent: changes need not expire. */
    max_duration: Type.Optional(Duration),
    /** Whether a matching request may come without a justification. */
    justification_required: Type.Optional(Type.Boolean({ default: true })),
  },
  // Without either condition a rule would approve any action: it must name one.
  {
    additionalProperties: false,
    anyOf: [{ required: ['action_prefixes'] }, { required: ['access_levels'] }],
  },
);
export type AutoApprovalRule = Static<typeof AutoApprovalRule>;

export const NotificationChannel = Type.Union([Type.Literal('slack'), Type.Literal('email')]);
export type NotificationChannel = Static<typeof NotificationChannel>;
export const NotificationTopics = [
  'created',
  'commented',
  'status_changed',
  'expiry_soon',
  'expired',
] as const;
export const NotificationTopic = LiteralUnion(NotificationTopics);
export type NotificationTopic = Static<typeof NotificationTopic>;

const channels = Type.Optional(Type.Array(NotificationChannel, { uniqueItems: true }));
/** Which topic goes to which channels; a topic absent goes nowhere. */
export const NotificationRouting = Type.Object(
  {
    created: channels,
    commented: channels,
    status_changed: channels,
    expiry_soon: channels,
    expired: channels,
  },
  { additionalProperties: false },
);
export type NotificationRouting = Static<typeof NotificationRouting>;

export const PolicyRequestSettings = Type.Object(
  {
    approval_rules: Type.Optional(Type.Array(ApprovalRule)),
    auto_approval_rules: Type.Optional(Type.Array(AutoApprovalRule)),
    /** A request needs a justification unless an auto-approval rule that matches it says otherwise. */
    justification_required: Type.Optional(Type.Boolean({ default: true })),
    /** Which topic goes to which channels; a topic absent goes nowhere. */
    notifications: Type.Optional(NotificationRouting),
  },
  { additionalProperties: false },
);
export type PolicyRequestSettings = Static<typeof PolicyRequestSettings>;

/*
 * NATS operations. The gateway authenticates the caller and passes it with the ConsoleMe body.
 */

/**
 * Expected refusals are values. `kind` says what the gateway answers: forbidden → 403 with the code,
 * invalid → 400, conflict → 409 (a stale `version`), not_found → 404.
 */
export const RequestRefusal = Type.Object({
  outcome: Type.Literal('refused'),
  kind: Type.Union([
    Type.Literal('forbidden'),
    Type.Literal('invalid'),
    Type.Literal('conflict'),
    Type.Literal('not_found'),
  ]),
  code: Type.String(),
  message: Type.String(),
  problems: Type.Optional(Type.Array(ChangeProblem)),
});
export type RequestRefusal = Static<typeof RequestRefusal>;

export const CreateRequestData = Type.Object({ caller: Caller, body: RequestCreationModel });
export const CreatePolicyRequest = defineMessage('requests.policy-requests.create', 1, CreateRequestData);
export const CreateRequestReply = Type.Union([
  Type.Object({ outcome: Type.Literal('done'), response: RequestCreationResponse }),
  RequestRefusal,
]);
export type CreateRequestReply = Static<typeof CreateRequestReply>;

export const ListRequestsData = Type.Object({ caller: Caller, body: RequestListFilters });
export const ListPolicyRequests = defineMessage('requests.policy-requests.list', 1, ListRequestsData);
export const ListRequestsReply = Type.Object({ items: Type.Array(RequestListItem) });
export type ListRequestsReply = Static<typeof ListRequestsReply>;

export const GetRequestData = Type.Object({ caller: Caller, requestId: Type.String({ minLength: 1 }) });
export const GetPolicyRequest = defineMessage('requests.policy-requests.get', 1, GetRequestData);
/** The gateway serializes `request` to a JSON string for ConsoleMe's `GET /api/v2/requests/{id}`. */
export const GetRequestReply = Type.Union([
  Type.Object({
    outcome: Type.Literal('found'),
    request: ExtendedRequestModel,
    requestConfig: RequestConfig,
    approval: ApprovalExplanation,
  }),
  RequestRefusal,
]);
export type GetRequestReply = Static<typeof GetRequestReply>;

export const ModifyRequestData = Type.Object({
  caller: Caller,
  requestId: Type.String({ minLength: 1 }),
  body: PolicyRequestModificationModel,
});
export const ModifyPolicyRequest = defineMessage('requests.policy-requests.modify', 1, ModifyRequestData);
export const ModifyRequestReply = Type.Union([
  Type.Object({ outcome: Type.Literal('done'), response: PolicyRequestModificationResponse }),
  RequestRefusal,
]);
export type ModifyRequestReply = Static<typeof ModifyRequestReply>;

export const RequestEventsData = Type.Object({ caller: Caller, requestId: Type.String({ minLength: 1 }) });
export const PolicyRequestEventsQuery = defineMessage(
  'requests.policy-requests.history',
  1,
  RequestEventsData,
);
export const RequestEventsReply = Type.Union([
  Type.Object({ outcome: Type.Literal('found'), items: Type.Array(PolicyRequestHistoryItem) }),
  RequestRefusal,
]);
export type RequestEventsReply = Static<typeof RequestEventsReply>;

/** What services/requests answers over NATS request/reply. */
export const requestsOperations = {
  create: defineOperation({
    owner: 'requests',
    subject: requestsSubjects.create,
    request: CreatePolicyRequest,
    reply: defineMessage('requests.policy-requests.create.reply', 1, CreateRequestReply),
    errors: ['UPSTREAM_FAILED', 'UPSTREAM_UNAVAILABLE', 'REDIS_UNAVAILABLE'],
  }),
  list: defineOperation({
    owner: 'requests',
    subject: requestsSubjects.list,
    request: ListPolicyRequests,
    reply: defineMessage('requests.policy-requests.list.reply', 1, ListRequestsReply),
    errors: ['VALIDATION_FAILED', 'REDIS_UNAVAILABLE', 'UPSTREAM_UNAVAILABLE'],
  }),
  get: defineOperation({
    owner: 'requests',
    subject: requestsSubjects.get,
    request: GetPolicyRequest,
    reply: defineMessage('requests.policy-requests.get.reply', 1, GetRequestReply),
    errors: ['UPSTREAM_FAILED', 'UPSTREAM_UNAVAILABLE'],
  }),
  modify: defineOperation({
    owner: 'requests',
    subject: requestsSubjects.modify,
    request: ModifyPolicyRequest,
    reply: defineMessage('requests.policy-requests.modify.reply', 1, ModifyRequestReply),
    errors: ['UPSTREAM_FAILED', 'UPSTREAM_UNAVAILABLE'],
  }),
  events: defineOperation({
    owner: 'requests',
    subject: requestsSubjects.events,
    request: PolicyRequestEventsQuery,
    reply: defineMessage('requests.policy-requests.history.reply', 1, RequestEventsReply),
    errors: ['UPSTREAM_FAILED', 'UPSTREAM_UNAVAILABLE'],
  }),
} as const;
