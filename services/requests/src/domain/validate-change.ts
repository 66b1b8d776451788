import type { ChangeModel, ChangeOf, ChangeProblem } from '@rolecall/shared/contracts';
import { isWellFormedArn, parseArn } from '@rolecall/shared/iam';
import { resolveExpiry } from './expiry.js';
import { parsePolicy, policySize, type PolicyKind } from './parse-policy.js';
import { planApply } from './policy-edit.js';
import { targetArnOf, type TargetState } from './target-state.js';
import { isRoleChange, validateRoleChange } from './validate-role-change.js';

/** Largest documents, in characters without whitespace; IAM's defaults (trust can be raised by quota). */
export interface PolicyLimits {
  inlineRolePolicy: number;
  inlineUserPolicy: number;
  managedPolicy: number;
  trustPolicy: number;
  s3BucketPolicy: number;
  sqsQueuePolicy: number;
  snsTopicPolicy: number;
}

export const IAM_POLICY_LIMITS: Readonly<PolicyLimits> = {
  inlineRolePolicy: 10_240,
  inlineUserPolicy: 2_048,
  managedPolicy: 6_144,
  trustPolicy: 2_048,
  s3BucketPolicy: 20_480,
  sqsQueuePolicy: 8_192,
  snsTopicPolicy: 30_720,
};

export interface ValidationContext {
  /** What the cache holds for an ARN (role, user, bucket, queue, topic, customer managed policy). */
  lookup: (arn: string) => TargetState | undefined;
  now: Date;
  limits?: PolicyLimits;
  /** The request's id, for the no-change check (it plans the change as it would be applied). */
  requestId: string;
  /** Names of the roles Rolecall runs on (hub, spoke): a request may not delete them. */
  protectedRoleNames?: readonly string[];
}

const POLICY_NAME = /^[\w+=,.@-]{1,128}$/;

/**
 * Every problem with a request's changes against what the cache holds, each with a stable code, the
 * change's index and a message that says what to fix. Empty: the request may be saved. Across changes:
 * one principal, at most one trust-policy change, and a managed_policy_resource change alone.
 */
export function validateRequestChanges(
  changes: readonly ChangeModel[],
  context: ValidationContext,
): ChangeProblem[] {
  const problems: ChangeProblem[] = [];
  const principals = new Set(changes.map((c) => c.principal.principal_arn));
  if (principals.size > 1) {
    problems.push({
      code: 'MULTIPLE_PRINCIPALS',
      message: `a request changes one principal; this one names ${[...principals].join(', ')}: make one request each`,
    });
  }
  if (changes.filter((c) => c.change_type === 'assume_role_policy').length > 1) {
    problems.push({
      code: 'TOO_MANY_TRUST_CHANGES',
      message: 'a request may change the trust policy once; merge them',
    });
  }
  if (changes.some(isRoleChange) && changes.length > 1) {
    problems.push({
      code: 'ROLE_CHANGE_ALONE',
      message: 'creating or deleting a role must be the only change of its request',
    });
  }
  if (changes.some((c) => c.change_type === 'managed_policy_resource') && changes.length > 1) {
    problems.push({
      code: 'MANAGED_POLICY_RESOURCE_ALONE',
      message: 'a change to a managed policy document must be the only change of its request',
    });
  }
  changes.forEach((change, index) => problems.push(...validateChange(change, index, context)));
  return problems;
}

/** The problems of one change (see {@link validateRequestChanges}). */
export function validateChange(
  change: ChangeModel,
  index: number,
  context: ValidationContext,
): ChangeProblem[] {
  if (isRoleChange(change)) return validateRoleChange(change, index, context);
  const problems: ChangeProblem[] = [];
  const add = (code: string, message: string, path?: string) =>
    problems.push({ code, message, change_index: index, ...(path === undefined ? {} : { path }) });

  for (const [path, arn, expect] of arnsOf(change)) {
    if (!isWellFormedArn(arn) || !expect(arn))
      add('INVALID_ARN', `${arn} is not ${describeExpected(path, change)}`, path);
  }
  if (problems.length > 0) return problems;

  checkExpiry(change, context.now, add);
  const document = checkDocument(change, context, add);
  const target = context.lookup(targetArnOf(change));
  const creates = change.change_type === 'managed_policy_resource' && change.new !== false;
  if (target === undefined) {
    if (!creates) {
      const what =
        targetArnOf(change) === change.principal.principal_arn ? 'PRINCIPAL_NOT_FOUND' : 'RESOURCE_NOT_FOUND';
      add(
        what,
        `${targetArnOf(change)} is not in Rolecall's cache: check the ARN, or refresh the cache if it is new`,
      );
    }
    return problems;
  }
  if (creates) {
    add('MANAGED_POLICY_EXISTS', `${target.arn} already exists: set new to false to change its document`);
    return problems;
  }
  checkAgainstTarget(change, target, context, add);
  if (problems.length === 0 && document !== 'invalid') {
    const plan = planApply(target, change, { requestId: context.requestId, changeIndex: index });
    if (!plan.ok) add(plan.problem.code, plan.problem.message);
    else if (plan.plan.writes.length === 0)
      add('NO_CHANGE', `${target.arn} already has this change: nothing to request`);
  }
  return problems;
}

type ArnCheck = [path: string, arn: string, expect: (arn: string) => boolean];

const iamResource = (prefix: string) => (arn: string) => {
  const parts = parseArn(arn);
  return parts?.service === 'iam' && parts.resource.startsWith(`${prefix}/`);
};
const principalArn = (arn: string) => iamResource('role')(arn) || iamResource('user')(arn);
const policyResource = (arn: string) =>
  ['s3', 'sqs', 'sns'].includes(parseArn(arn)?.service ?? '') && !/[*?]/.test(arn) && !arn.includes('/');

function arnsOf(change: ChangeModel): ArnCheck[] {
  const principal = change.principal.principal_arn;
  switch (change.change_type) {
    case 'managed_policy_resource':
      return [['/principal/principal_arn', principal, iamResource('policy')]];
    case 'managed_policy':
    case 'permissions_boundary':
      return [
        ['/principal/principal_arn', principal, principalArn],
        ['/arn', change.arn, iamResource('policy')],
      ];
    case 'resource_policy':
      return [
        ['/principal/principal_arn', principal, principalArn],
        ['/arn', change.arn, policyResource],
      ];
    case 'sts_resource_policy':
      return [
        ['/principal/principal_arn', principal, principalArn],
        ['/arn', change.arn, iamResource('role')],
      ];
    case 'resource_tag':
      return change.arn === undefined
        ? [['/principal/principal_arn', principal, principalArn]]
        : [
            ['/principal/principal_arn', principal, principalArn],
            [
              '/arn',
              change.arn,
              (arn) => principalArn(arn) || policyResource(arn) || iamResource('policy')(arn),
            ],
          ];
    default:
      return [['/principal/principal_arn', principal, principalArn]];
  }
}

function describeExpected(path: string, change: ChangeModel): string {
  if (path === '/principal/principal_arn') {
    return change.change_type === 'managed_policy_resource'
      ? 'a customer managed policy ARN (arn:aws:iam::<account>:policy/<name>)'
      : 'an IAM role or user ARN (arn:aws:iam::<account>:role/<name>)';
  }
  switch (change.change_type) {
    case 'resource_policy':
      return 'the ARN of one S3 bucket, SQS queue or SNS topic (no wildcards, no object path)';
    case 'sts_resource_policy':
      return 'an IAM role ARN';
    case 'resource_tag':
      return 'the ARN of a role, user, managed policy, bucket, queue or topic';
    default:
      return 'a managed policy ARN (arn:aws:iam::<account or aws>:policy/<name>)';
  }
}

type Add = (code: string, message: string, path?: string) => void;

function checkExpiry(change: ChangeModel, now: Date, add: Add): void {
  const expiry = resolveExpiry(change, now);
  if (expiry.kind === 'none') return;
  if (expiry.kind === 'invalid') return add('EXPIRY_INVALID', expiry.message, '/expiration_date');
  if (expiry.at.getTime() <= now.getTime()) {
    add(
      'EXPIRY_IN_PAST',
      `the expiry ${expiry.at.toISOString()} has passed: choose a later time`,
      '/expiration_date',
    );
  }
  const removes =
    ('action' in change && change.action === 'detach') ||
    change.change_type === 'managed_policy_resource' ||
    (change.change_type === 'resource_tag' && change.tag_action === 'delete');
  if (removes) {
    add(
      'EXPIRY_NOT_SUPPORTED',
      `only a grant can expire; a ${describeChange(change)} cannot`,
      '/expiration_date',
    );
  }
}

const describeChange = (change: ChangeModel) =>
  change.change_type === 'resource_tag'
    ? `tag ${change.tag_action}`
    : `${change.change_type}${'action' in change ? ` ${change.action}` : ''}`;

const DOCUMENT_KIND: Partial<Record<ChangeModel['change_type'], PolicyKind>> = {
  inline_policy: 'identity',
  managed_policy_resource: 'identity',
  assume_role_policy: 'trust',
  sts_resource_policy: 'trust',
  resource_policy: 'resource',
};

function checkDocument(
  change: ChangeModel,
  context: ValidationContext,
  add: Add,
): 'none' | 'valid' | 'invalid' {
  const kind = DOCUMENT_KIND[change.change_type];
  if (kind === undefined || (change.change_type === 'inline_policy' && change.action === 'detach'))
    return 'none';
  const policy = 'policy' in change ? change.policy : undefined;
  if (policy === undefined) {
    add('POLICY_MISSING', `a ${describeChange(change)} change needs policy.policy_document`, '/policy');
    return 'invalid';
  }
  const parsed = parsePolicy(policy.policy_document, kind);
  if (!parsed.ok) {
    for (const p of parsed.problems) add(p.code, p.message, p.path);
    return 'invalid';
  }
  const limit = sizeLimit(change, context);
  const size = policySize(parsed.document);
  if (size > limit.chars) {
    add(
      'POLICY_TOO_LARGE',
      `the document has ${size} characters (without whitespace); ${limit.what} may have at most ${limit.chars}`,
      '/policy/policy_document',
    );
    return 'invalid';
  }
  return 'valid';
}

function sizeLimit(change: ChangeModel, context: ValidationContext): { chars: number; what: string } {
  const limits = context.limits ?? IAM_POLICY_LIMITS;
  switch (change.change_type) {
    case 'inline_policy':
      return iamResource('user')(change.principal.principal_arn)
        ? { chars: limits.inlineUserPolicy, what: "a user's inline policies" }
        : { chars: limits.inlineRolePolicy, what: "a role's inline policies" };
    case 'managed_policy_resource':
      return { chars: limits.managedPolicy, what: 'a managed policy' };
    case 'resource_policy': {
      const service = parseArn(change.arn)?.service;
      if (service === 's3') return { chars: limits.s3BucketPolicy, what: 'a bucket policy' };
      if (service === 'sqs') return { chars: limits.sqsQueuePolicy, what: 'a queue policy' };
      return { chars: limits.snsTopicPolicy, what: 'a topic policy' };
    }
    default:
      return { chars: limits.trustPolicy, what: 'a trust policy' };
  }
}

function checkAgainstTarget(
  change: ChangeModel,
  target: TargetState,
  context: ValidationContext,
  add: Add,
): void {
  switch (change.change_type) {
    case 'inline_policy':
      if (target.kind === 'principal') checkInline(change, target.inlinePolicies, add);
      return;
    case 'managed_policy':
    case 'permissions_boundary':
      if (target.kind === 'principal') checkAttachment(change, target, context, add);
      return;
    case 'assume_role_policy':
      if (target.kind !== 'principal' || target.principalType !== 'role') {
        add('PRINCIPAL_NOT_SUPPORTED', `only a role has a trust policy; ${target.arn} is a user`);
      }
      return;
    case 'resource_tag':
      checkTag(change, target.tags, add);
      return;
    case 'managed_policy_resource':
      if (target.kind === 'managed_policy' && target.awsManaged) {
        add('AWS_MANAGED_POLICY_IMMUTABLE', `${target.arn} is managed by AWS and cannot be edited`);
      }
      return;
    default:
      return;
  }
}

function checkInline(
  change: ChangeOf<'inline_policy'>,
  policies: Readonly<Record<string, unknown>>,
  add: Add,
): void {
  const name = change.policy_name;
  if (name === undefined) return;
  if (!POLICY_NAME.test(name)) {
    add(
      'INVALID_POLICY_NAME',
      `policy name "${name}" may hold 1–128 letters, digits and +=,.@_-`,
      '/policy_name',
    );
    return;
  }
  const exists = name in policies;
  if (change.action === 'detach' && !exists) {
    add('INLINE_POLICY_NOT_FOUND', `there is no inline policy ${name} to detach`, '/policy_name');
  } else if (change.action === 'attach' && change.new !== false && exists) {
    add(
      'INLINE_POLICY_EXISTS',
      `an inline policy ${name} exists: choose another name or update it (new: false)`,
      '/policy_name',
    );
  } else if (change.action === 'attach' && change.new === false && !exists) {
    add(
      'INLINE_POLICY_NOT_FOUND',
      `there is no inline policy ${name} to update: create it (new: true)`,
      '/policy_name',
    );
  }
}

function checkAttachment(
  change: ChangeOf<'managed_policy' | 'permissions_boundary'>,
  target: Extract<TargetState, { kind: 'principal' }>,
  context: ValidationContext,
  add: Add,
): void {
  const same = (arn: string | undefined) =>
    arn !== undefined && arn.toLowerCase() === change.arn.toLowerCase();
  const isAwsManaged = parseArn(change.arn)?.account === 'aws';
  if (change.action === 'attach' && !isAwsManaged && context.lookup(change.arn)?.kind !== 'managed_policy') {
    add('MANAGED_POLICY_NOT_FOUND', `${change.arn} is not a managed policy in Rolecall's cache`, '/arn');
    return;
  }
  if (change.change_type === 'managed_policy') {
    const attached = target.managedPolicies.some(same);
    if (change.action === 'attach' && attached) {
      add('MANAGED_POLICY_ALREADY_ATTACHED', `${change.arn} is already attached to ${target.arn}`, '/arn');
    } else if (change.action === 'detach' && !attached) {
      add('MANAGED_POLICY_NOT_ATTACHED', `${change.arn} is not attached to ${target.arn}`, '/arn');
    }
  } else if (change.action === 'detach' && !same(target.permissionsBoundary)) {
    add('BOUNDARY_NOT_ATTACHED', `${change.arn} is not the permissions boundary of ${target.arn}`, '/arn');
  }
}

function checkTag(change: ChangeOf<'resource_tag'>, tags: Readonly<Record<string, string>>, add: Add): void {
  const existing = change.original_key ?? change.key;
  if (change.tag_action === 'create' && change.key in tags) {
    add('TAG_EXISTS', `the tag ${change.key} exists: use tag_action update`, '/key');
  } else if (change.tag_action !== 'create' && !(existing in tags)) {
    add('TAG_NOT_FOUND', `there is no tag ${existing} to ${change.tag_action}`, '/key');
  }
  if (change.tag_action !== 'delete' && change.value === undefined) {
    add('TAG_VALUE_REQUIRED', `a tag ${change.tag_action} needs a value`, '/value');
  }
}
