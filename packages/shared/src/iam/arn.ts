/** The fields of an ARN: `arn:partition:service:region:account:resource`. */
export interface ArnParts {
  partition: string;
  service: string;
  region: string;
  /** Empty for ARNs without one (S3 buckets). */
  account: string;
  /** Everything after the fifth colon, colons included (`role/path/name`, `my-queue`). */
  resource: string;
}

/** Splits an ARN into its fields; undefined when it has fewer than six or does not start with `arn`. */
export function parseArn(arn: string): ArnParts | undefined {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  const [, partition = '', service = '', region = '', account = ''] = parts;
  return { partition, service, region, account, resource: parts.slice(5).join(':') };
}

const PARTITION = /^aws(-[a-z]+)*$/;
const ACCOUNT = /^\d{12}$/;

/**
 * Whether an ARN is well formed for the services Rolecall writes policies for: a known partition shape,
 * a service, a resource, and the account and region each of these services requires (IAM: account, no
 * region; S3 bucket: neither; SQS and SNS: both). Other services only need the six fields. `*` and `?`
 * are allowed in the resource (a request may name a wildcard), not in the account.
 */
export function isWellFormedArn(arn: string): boolean {
  const parts = parseArn(arn);
  if (!parts || !PARTITION.test(parts.partition) || !/^[a-z0-9-]+$/.test(parts.service)) return false;
  if (parts.resource === '' || /\s/.test(arn)) return false;
  switch (parts.service) {
    case 'iam':
      return parts.region === '' && (ACCOUNT.test(parts.account) || parts.account === 'aws');
    case 's3':
      return parts.region === '' && parts.account === '';
    case 'sqs':
    case 'sns':
      return parts.region !== '' && ACCOUNT.test(parts.account);
    default:
      return parts.account === '' || parts.account === '*' || ACCOUNT.test(parts.account);
  }
}

/** The account an ARN names (empty when it names none, as for S3 buckets or a malformed ARN). */
export const accountOfArn = (arn: string): string => parseArn(arn)?.account ?? '';

/** The last path segment of an IAM ARN's resource: `role/path/name` → `name`. */
export const nameOfArn = (arn: string): string => {
  const resource = parseArn(arn)?.resource ?? arn;
  return resource.slice(resource.lastIndexOf('/') + 1);
};
