import type { PermissionTemplate } from '@rolecall/shared/contracts';

const template = (key: string, text: string, statements: Record<string, unknown>[]): PermissionTemplate => ({
  key,
  text,
  value: JSON.stringify({ Version: '2012-10-17', Statement: statements }, null, 2),
});

/**
 * The templates the policy editor offers when the dynamic config's `permission_templates` does not
 * replace them (by key), as ConsoleMe's defaults. Placeholders in capitals are for the person to fill
 * in; every action is checked against the IAM data by a unit test.
 */
export const DEFAULT_PERMISSION_TEMPLATES: readonly PermissionTemplate[] = [
  template('default', 'Default template', [{ Effect: 'Allow', Action: [], Resource: [] }]),
  template('s3read', 'S3 read access', [
    {
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:ListBucket'],
      Resource: ['arn:aws:s3:::BUCKET_NAME', 'arn:aws:s3:::BUCKET_NAME/OPTIONAL_PREFIX/*'],
    },
  ]),
  template('s3write', 'S3 write access', [
    {
      Effect: 'Allow',
      Action: ['s3:DeleteObject', 's3:GetObject', 's3:ListBucket', 's3:PutObject'],
      Resource: ['arn:aws:s3:::BUCKET_NAME', 'arn:aws:s3:::BUCKET_NAME/OPTIONAL_PREFIX/*'],
    },
  ]),
  template('sqs', 'SQS', [
    {
      Effect: 'Allow',
      Action: [
        'sqs:DeleteMessage',
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:ReceiveMessage',
        'sqs:SendMessage',
      ],
      Resource: 'QUEUE_ARN',
    },
  ]),
  template('sns', 'SNS', [
    { Effect: 'Allow', Action: ['sns:Publish', 'sns:Subscribe', 'sns:Unsubscribe'], Resource: 'TOPIC_ARN' },
  ]),
  template('sts', 'STS - assume a role', [
    { Effect: 'Allow', Action: ['sts:AssumeRole'], Resource: 'arn:aws:iam::ACCOUNT_NUMBER:role/ROLE' },
  ]),
  template('ses', 'SES - send email', [
    {
      Effect: 'Allow',
      Action: ['ses:SendEmail', 'ses:SendRawEmail'],
      Resource: 'arn:aws:ses:*:ACCOUNT_NUMBER:identity/example.com',
      Condition: { StringLike: { 'ses:FromAddress': 'SENDER@example.com' } },
    },
  ]),
  template('rdspassrole', 'RDS monitoring PassRole', [
    {
      Effect: 'Allow',
      Action: ['iam:PassRole'],
      Resource: 'arn:aws:iam::ACCOUNT_NUMBER:role/rds-monitoring-role',
    },
  ]),
  template('route53', 'Route53 list/change record sets', [
    {
      Effect: 'Allow',
      Action: ['route53:ChangeResourceRecordSets', 'route53:ListResourceRecordSets'],
      Resource: 'arn:aws:route53:::hostedzone/HOSTED_ZONE_ID',
    },
  ]),
  template('ec2_volmount', 'EC2 volume mount', [
    {
      Effect: 'Allow',
      Action: ['ec2:AttachVolume', 'ec2:CreateVolume', 'ec2:DescribeVolumes', 'ec2:DetachVolume'],
      Resource: '*',
    },
  ]),
  template('put_cloudwatch_data', 'CloudWatch - put metric data', [
    { Effect: 'Allow', Action: ['cloudwatch:PutMetricData'], Resource: '*' },
  ]),
];

/** The defaults, each replaced by the configured template of its key; configured new keys follow. */
export function mergePermissionTemplates(
  configured: readonly PermissionTemplate[] | undefined,
): PermissionTemplate[] {
  const byKey = new Map((configured ?? []).map((t) => [t.key, t]));
  const merged = DEFAULT_PERMISSION_TEMPLATES.map((t) => byKey.get(t.key) ?? t);
  const defaults = new Set(DEFAULT_PERMISSION_TEMPLATES.map((t) => t.key));
  return [...merged, ...(configured ?? []).filter((t) => !defaults.has(t.key))];
}
