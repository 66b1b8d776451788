import { parseArn } from '@rolecall/shared/iam';
import type { PolicyResourceType } from './simulate-facts.js';

/** Where the policy of the resource an action is asked on lives, as far as Rolecall's cache goes. */
export type PolicyHolder =
  /** A bucket, queue or topic: its policy is crawled. */
  | { kind: 'resource'; arn: string; resourceType: PolicyResourceType; label: string }
  /** An IAM role asked to be assumed: its trust policy is the resource policy. */
  | { kind: 'trust'; roleArn: string }
  /** A service whose resources can carry their own policy, which Rolecall does not crawl. */
  | { kind: 'uncrawled'; service: string; policyName: string; required: boolean }
  /** No resource policy takes part (the service has none, or the resource is `*`). */
  | { kind: 'none' };

/** The STS actions whose resource is a role and whose resource policy is that role's trust policy. */
const TRUST_ACTIONS = new Set(
  [
    'sts:AssumeRole',
    'sts:AssumeRoleWithSAML',
    'sts:AssumeRoleWithWebIdentity',
    'sts:TagSession',
    'sts:SetSourceIdentity',
    'sts:SetContext',
  ].map((a) => a.toLowerCase()),
);

/**
 * Services whose resources can have a resource-based policy that Rolecall does not crawl, with the name
 * that policy goes by. Source: the "Resource-based policies" column of AWS's "AWS services that work
 * with IAM" (docs.aws.amazon.com/IAM/latest/UserGuide/reference_aws-services-that-work-with-iam.html).
 * `required`: the resource's policy must itself allow the call (KMS key policies), so the identity
 * policies alone can never decide it.
 */
const UNCRAWLED_RESOURCE_POLICIES: Readonly<Record<string, { policyName: string; required: boolean }>> = {
  kms: { policyName: 'key policy', required: true },
  lambda: { policyName: 'function policy', required: false },
  secretsmanager: { policyName: 'secret policy', required: false },
  ecr: { policyName: 'repository policy', required: false },
  dynamodb: { policyName: 'table policy', required: false },
  glacier: { policyName: 'vault access policy', required: false },
  kinesis: { policyName: 'stream policy', required: false },
  logs: { policyName: 'log group resource policy', required: false },
  events: { policyName: 'event bus policy', required: false },
  es: { policyName: 'domain access policy', required: false },
  backup: { policyName: 'backup vault access policy', required: false },
  elasticfilesystem: { policyName: 'file system policy', required: false },
  'execute-api': { policyName: 'API Gateway resource policy', required: false },
  codeartifact: { policyName: 'repository policy', required: false },
  iot: { policyName: 'IoT policy', required: false },
  ses: { policyName: 'sending authorization policy', required: false },
};

const S3_BUCKET_OR_OBJECT = /^arn:(aws[a-z-]*):s3:::([^/]+)(\/.*)?$/;

/** Which resource policy takes part in `action` on `resource`. */
export function policyHolderOf(action: string, resource: string): PolicyHolder {
  if (resource === '*') return { kind: 'none' };
  const parts = parseArn(resource);
  if (parts === undefined) return { kind: 'none' };
  const service = action.split(':')[0]?.toLowerCase() ?? '';
  if (service === 'sts' && TRUST_ACTIONS.has(action.toLowerCase())) {
    return parts.service === 'iam' && parts.resource.startsWith('role/')
      ? { kind: 'trust', roleArn: resource }
      : { kind: 'none' };
  }
  if (service === 's3' && parts.service === 's3') {
    const match = S3_BUCKET_OR_OBJECT.exec(resource);
    if (match) {
      const bucket = match[2] ?? '';
      return {
        kind: 'resource',
        arn: `arn:${match[1] ?? 'aws'}:s3:::${bucket}`,
        resourceType: 's3_bucket',
        label: `bucket policy of ${bucket}`,
      };
    }
    return { kind: 'uncrawled', service: 's3', policyName: 'access point policy', required: false };
  }
  if (service === 'sqs' && parts.service === 'sqs') {
    return {
      kind: 'resource',
      arn: resource,
      resourceType: 'sqs_queue',
      label: `queue policy of ${parts.resource}`,
    };
  }
  // A topic ARN has six fields; a subscription's has a seventh (its id) and no policy of its own.
  if (service === 'sns' && parts.service === 'sns' && !parts.resource.includes(':')) {
    return {
      kind: 'resource',
      arn: resource,
      resourceType: 'sns_topic',
      label: `topic policy of ${parts.resource}`,
    };
  }
  const uncrawled = UNCRAWLED_RESOURCE_POLICIES[parts.service];
  return uncrawled && parts.service === service
    ? { kind: 'uncrawled', service: parts.service, ...uncrawled }
    : { kind: 'none' };
}
