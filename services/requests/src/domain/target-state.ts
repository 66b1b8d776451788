import type { PrincipalFacts } from '@rolecall/policy';
import type { ChangeModel, Tags, TypedCachedItem } from '@rolecall/shared/contracts';

/**
 * An IAM role or user as a change sees it: what the cache holds, or what AWS answers before a write. Its
 * fields are the simulator's principal facts (@rolecall/policy), so a state a change leads to can be
 * simulated as it is; group membership is no change's concern.
 */
export interface PrincipalState extends Omit<PrincipalFacts, 'groups'> {
  kind: 'principal';
  tags: Tags;
}

/** An S3 bucket, SQS queue or SNS topic: its policy (null when it has none) and tags. */
export interface ResourceState {
  kind: 'resource';
  arn: string;
  accountId: string;
  resourceType: 's3_bucket' | 'sqs_queue' | 'sns_topic';
  policy: unknown;
  tags: Tags;
}

/** A managed policy; `document` is undefined while it does not exist (a create). */
export interface ManagedPolicyState {
  kind: 'managed_policy';
  arn: string;
  accountId: string;
  /** AWS managed (`arn:aws:iam::aws:policy/…`): it can be attached, never edited. */
  awsManaged: boolean;
  document: unknown;
  tags: Tags;
}

export type TargetState = PrincipalState | ResourceState | ManagedPolicyState;

/** The state of a cached item that a change can target; undefined for item types no change edits. */
export function stateOfItem(item: TypedCachedItem): TargetState | undefined {
  const base = { arn: item.arn, accountId: item.accountId, tags: item.tags };
  switch (item.itemType) {
    case 'iam_role':
    case 'iam_user':
      return {
        ...base,
        kind: 'principal',
        principalType: item.itemType === 'iam_role' ? 'role' : 'user',
        inlinePolicies: Object.fromEntries(item.details.inlinePolicies.map((p) => [p.name, p.document])),
        managedPolicies: item.details.managedPolicies.map((p) => p.arn),
        permissionsBoundary: item.details.permissionsBoundary?.arn,
        ...(item.itemType === 'iam_role' ? { assumeRolePolicy: item.details.assumeRolePolicyDocument } : {}),
      };
    case 's3_bucket':
    case 'sqs_queue':
    case 'sns_topic':
      return { ...base, kind: 'resource', resourceType: item.itemType, policy: item.details.policy ?? null };
    case 'managed_policy':
      return { ...base, kind: 'managed_policy', awsManaged: false, document: item.details.document };
    default:
      return undefined;
  }
}

/** The ARN of what a change edits: the principal, the resource whose policy or tags change, or the policy. */
export function targetArnOf(change: ChangeModel): string {
  switch (change.change_type) {
    case 'resource_policy':
    case 'sts_resource_policy':
      return change.arn;
    case 'resource_tag':
      return change.arn ?? change.principal.principal_arn;
    default:
      return change.principal.principal_arn;
  }
}
