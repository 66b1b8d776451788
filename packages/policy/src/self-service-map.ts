import {
  AccessLevelChoices,
  type GeneratorType,
  type SelfServiceInput,
  type SelfServicePermission,
} from '@rolecall/shared/contracts';
import { selectActions, type AccessLevel, type ActionSelection } from './action-catalogue.js';

/**
 * A plain-language choice of the wizard. `select` takes the actions from the IAM data (by access level
 * and resource type), so they follow AWS as the data is updated; `curated` is a hand-picked list for
 * choices the data cannot express (a queue consumer is ReceiveMessage + DeleteMessage, two levels), each
 * action checked against the IAM data by a unit test; `accessLevel` is resolved per service when the
 * changes are generated (crud_lookup, generic).
 */
export type ActionGroupSpec = { name: string; text: string } & (
  | { select: ActionSelection & { service: string } }
  | { curated: readonly string[] }
  | { accessLevel: AccessLevel }
);

/** One generator type of the wizard: its form and its choices. */
export interface GeneratorSpec {
  text: string;
  description: string;
  inputs: readonly SelfServiceInput[];
  actionGroups: readonly ActionGroupSpec[];
  /** A condition every generated statement carries; `{field}` is replaced by the generator's field. */
  condition?: Record<string, Record<string, string>>;
}

const typeahead = (name: string, text: string, endpoint: string): SelfServiceInput => ({
  name,
  type: 'typeahead_input',
  text,
  required: true,
  typeahead_endpoint: endpoint,
});
const textInput = (name: string, text: string, fallback?: string): SelfServiceInput => ({
  name,
  type: 'text_input',
  text,
  required: true,
  ...(fallback === undefined ? {} : { default: fallback }),
});

const accessLevelGroups: ActionGroupSpec[] = Object.entries(AccessLevelChoices).map(([name, level]) => ({
  name,
  text: level,
  accessLevel: level,
}));

const s3 = (accessLevels: AccessLevel[], rest: Omit<ActionSelection, 'accessLevels'> = {}) => ({
  service: 's3',
  accessLevels,
  ...rest,
});
const OBJECT = ['object'];

/** The wizard's generator types, in the order the UI offers them. */
export const SELF_SERVICE_GENERATORS: Readonly<Record<GeneratorType, GeneratorSpec>> = {
  s3: {
    text: 'S3 Bucket',
    description: 'Read, write or delete objects under a prefix of a bucket, in any account',
    inputs: [
      typeahead(
        'resource_arn',
        'Bucket',
        '/api/v1/policies/typeahead?resource=s3&show_full_arn_for_s3_buckets=true&search={query}',
      ),
      textInput('bucket_prefix', 'Prefix (the folder under the bucket you need)', '/*'),
    ],
    actionGroups: [
      { name: 'list', text: 'List', select: s3(['List'], { resourceTypes: ['bucket', ...OBJECT] }) },
      { name: 'read', text: 'Read objects', select: s3(['Read'], { resourceTypes: OBJECT }) },
      {
        name: 'write',
        text: 'Write objects',
        select: s3(['Write'], {
          resourceTypes: OBJECT,
          excludeAccessLevels: ['Permissions management', 'Tagging'],
          excludeNamePrefixes: ['Delete'],
        }),
      },
      {
        name: 'delete',
        text: 'Delete objects',
        select: s3(['Write'], {
          resourceTypes: OBJECT,
          excludeAccessLevels: ['Permissions management', 'Tagging'],
          namePrefixes: ['Delete'],
        }),
      },
      { name: 'tagging', text: 'Tag objects', select: s3(['Tagging'], { resourceTypes: OBJECT }) },
      {
        name: 'read_bucket_settings',
        text: "Read the bucket's settings",
        select: s3(['Read'], { resourceTypes: ['bucket'] }),
      },
    ],
  },
  sqs: {
    text: 'SQS Queue',
    description: 'Send to or consume from a queue',
    inputs: [
      typeahead('resource_arn', 'Queue ARN', '/api/v1/policies/typeahead?resource=sqs&search={query}'),
    ],
    actionGroups: [
      {
        name: 'send_messages',
        text: 'Send messages (producer)',
        curated: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'],
      },
      {
        name: 'receive_messages',
        text: 'Receive and delete messages (consumer)',
        curated: [
          'sqs:ChangeMessageVisibility',
          'sqs:DeleteMessage',
          'sqs:GetQueueAttributes',
          'sqs:GetQueueUrl',
          'sqs:ReceiveMessage',
        ],
      },
      { name: 'set_queue_attributes', text: 'Set queue attributes', curated: ['sqs:SetQueueAttributes'] },
      { name: 'purge_messages', text: 'Purge the queue', curated: ['sqs:PurgeQueue'] },
    ],
  },
  sns: {
    text: 'SNS Topic',
    description: 'Publish to or subscribe to a topic',
    inputs: [
      typeahead('resource_arn', 'Topic ARN', '/api/v1/policies/typeahead?resource=sns&search={query}'),
    ],
    actionGroups: [
      { name: 'get_topic_attributes', text: 'Get topic attributes', curated: ['sns:GetTopicAttributes'] },
      { name: 'publish', text: 'Publish', curated: ['sns:Publish'] },
      { name: 'subscribe', text: 'Subscribe', curated: ['sns:ConfirmSubscription', 'sns:Subscribe'] },
      { name: 'unsubscribe', text: 'Unsubscribe', curated: ['sns:Unsubscribe'] },
    ],
  },
  sts: {
    text: 'STS AssumeRole',
    description: 'Assume another role, in this account or another',
    inputs: [
      typeahead(
        'resource_arn',
        'Role ARN you wish to assume',
        '/api/v1/policies/typeahead?resource=iam_arn&search={query}',
      ),
    ],
    actionGroups: [
      { name: 'assume_role', text: 'Assume the role', curated: ['sts:AssumeRole'] },
      { name: 'tag_session', text: 'Pass session tags', curated: ['sts:TagSession'] },
    ],
  },
  ses: {
    text: 'SES - Send Email',
    description: 'Send mail from one address of an SES identity',
    inputs: [
      textInput('from_address', 'Email address to send from', 'emailaddress@example.com'),
      textInput('resource_arn', 'ARN of the SES identity to send from'),
    ],
    condition: { StringLike: { 'ses:FromAddress': '{from_address}' } },
    actionGroups: [
      { name: 'send_email', text: 'Send email', curated: ['ses:SendEmail', 'ses:SendRawEmail'] },
    ],
  },
  rds: {
    text: 'RDS',
    description: 'Pass the RDS monitoring role, or connect with IAM database authentication',
    inputs: [
      textInput(
        'resource_arn',
        'The role to pass, or the database user (arn:aws:rds-db:…:dbuser:…)',
        'arn:aws:iam::{account_id}:role/rds-monitoring-role',
      ),
    ],
    actionGroups: [
      { name: 'passrole', text: 'PassRole', curated: ['iam:PassRole'] },
      { name: 'connect', text: 'Connect as a database user', curated: ['rds-db:connect'] },
    ],
  },
  ec2: {
    text: 'EC2',
    description: 'Mount volumes, or give instances IPv6 addresses',
    inputs: [textInput('resource_arn', 'EC2 resource you need access to', '*')],
    actionGroups: [
      {
        name: 'volmount',
        text: 'Mount volumes',
        curated: ['ec2:AttachVolume', 'ec2:CreateVolume', 'ec2:DescribeVolumes', 'ec2:DetachVolume'],
      },
      { name: 'ipv6', text: 'Enable IPv6', curated: ['ec2:AssignIpv6Addresses'] },
    ],
  },
  route53: {
    text: 'Route53',
    description: "List or change a hosted zone's records",
    inputs: [textInput('resource_arn', 'Hosted zone ARN (arn:aws:route53:::hostedzone/…)', '*')],
    actionGroups: [
      { name: 'list_records', text: 'List records', curated: ['route53:ListResourceRecordSets'] },
      { name: 'change_records', text: 'Change records', curated: ['route53:ChangeResourceRecordSets'] },
    ],
  },
  crud_lookup: {
    text: 'Other',
    description:
      'A service (dynamodb, rekognition…), a resource (an ARN or *) and the access levels you need; the ' +
      "actions come from AWS's published IAM data. If you know the exact actions, use custom_iam.",
    inputs: [
      {
        name: 'service_name',
        type: 'single_typeahead_input',
        text: 'Service (s3, sqs, dynamodb, rekognition…)',
        required: true,
      },
      typeahead(
        'resource_arn',
        'Resource ARN or wildcard (*)',
        '/api/v2/typeahead/resources?typeahead={query}&ui_formatted=true',
      ),
    ],
    actionGroups: accessLevelGroups,
  },
  generic: {
    text: 'Any resource',
    description:
      "A resource ARN and the access levels you need: the actions are those of the ARN's service and " +
      'resource type, at those levels, from the IAM data.',
    inputs: [
      typeahead(
        'resource_arn',
        'Resource ARN',
        '/api/v2/typeahead/resources?typeahead={query}&ui_formatted=true',
      ),
    ],
    actionGroups: accessLevelGroups,
  },
  custom_iam: {
    text: 'Advanced (custom JSON)',
    description: 'Statements you write; every action is checked against the IAM data',
    inputs: [textInput('policy', 'Policy statements (JSON)')],
    actionGroups: [],
  },
};

/** The actions one choice stands for; for an access-level choice, the level's name (ConsoleMe's shape). */
export async function actionsOfGroup(group: ActionGroupSpec): Promise<string[]> {
  if ('select' in group) return selectActions(group.select.service, group.select);
  if ('curated' in group) return [...group.curated].sort();
  return [group.accessLevel];
}

/** Where a choice's actions come from, as the config tells the UI. */
const sourceOf = (group: ActionGroupSpec): string =>
  'select' in group
    ? 'iam-data'
    : 'curated' in group
      ? 'curated, checked against the iam-data'
      : 'iam-data access level';

/** `permissions_map` of `GET /api/v2/self_service_config`, built from the IAM data. */
export async function buildPermissionsMap(): Promise<Record<string, SelfServicePermission>> {
  const entries = await Promise.all(
    Object.entries(SELF_SERVICE_GENERATORS).map(async ([type, spec]) => {
      const action_map = await Promise.all(
        spec.actionGroups.map(async (group) => ({
          name: group.name,
          text: group.text,
          permissions: await actionsOfGroup(group),
          source: sourceOf(group),
        })),
      );
      const permission: SelfServicePermission = {
        text: spec.text,
        description: spec.description,
        inputs: [...spec.inputs],
        action_map,
        ...(spec.condition ? { condition: spec.condition } : {}),
      };
      return [type, permission] as const;
    }),
  );
  return Object.fromEntries(entries);
}
