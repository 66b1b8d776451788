import './formats.js';
import { Type, type Static } from '@sinclair/typebox';

export const AccountIdPattern = '^\\d{12}$';
export const AccountId = Type.String({ pattern: AccountIdPattern, description: '12-digit AWS account id' });

/**
 * What one crawl job covers. A complete crawl of (account, crawl type) is the authority for every item
 * type that crawl type produces: items it no longer contains are deleted.
 */
export const CrawlTypes = ['iam', 's3', 'sqs', 'sns', 'config'] as const;
export const CrawlType = Type.Union(CrawlTypes.map((t) => Type.Literal(t)));
export type CrawlType = Static<typeof CrawlType>;

/** Item types, as they appear in subjects (`cache.resource.changed.<itemType>.<account>`) and the API. */
export const ItemTypes = [
  'iam_role',
  'iam_user',
  'iam_group',
  'managed_policy',
  's3_bucket',
  'sqs_queue',
  'sns_topic',
  'config_resource',
] as const;
export const ItemType = Type.Union(ItemTypes.map((t) => Type.Literal(t)));
export type ItemType = Static<typeof ItemType>;

export const CRAWL_TYPE_OF_ITEM: Readonly<Record<ItemType, CrawlType>> = {
  iam_role: 'iam',
  iam_user: 'iam',
  iam_group: 'iam',
  managed_policy: 'iam',
  s3_bucket: 's3',
  sqs_queue: 'sqs',
  sns_topic: 'sns',
  config_resource: 'config',
};

/** ConsoleMe's "technology" column for each item type (config resources carry their own AWS type). */
export const TECHNOLOGY_OF_ITEM: Readonly<Record<Exclude<ItemType, 'config_resource'>, string>> = {
  iam_role: 'AWS::IAM::Role',
  iam_user: 'AWS::IAM::User',
  iam_group: 'AWS::IAM::Group',
  managed_policy: 'managed_policy',
  s3_bucket: 'AWS::S3::Bucket',
  sqs_queue: 'AWS::SQS::Queue',
  sns_topic: 'AWS::SNS::Topic',
};

export const Tags = Type.Record(Type.String(), Type.String());
export type Tags = Static<typeof Tags>;

export const PolicyDocument = Type.Unknown({ description: 'An IAM policy document, parsed JSON' });

export const NamedPolicy = Type.Object({ name: Type.String(), document: PolicyDocument });
export const AttachedPolicy = Type.Object({ name: Type.String(), arn: Type.String() });

/**
 * One resource as a crawler saw it. `details` is the type-specific body (camelCase); see the
 * `*Details` schemas below for what each item type carries.
 */
export const CrawledItem = Type.Object({
  arn: Type.String({ minLength: 1 }),
  itemType: ItemType,
  accountId: AccountId,
  region: Type.String({ description: "AWS region, or 'global' for IAM" }),
  name: Type.String(),
  tags: Tags,
  details: Type.Record(Type.String(), Type.Unknown()),
});
export type CrawledItem = Static<typeof CrawledItem>;

/** Freshness that the cache adds to every item it stores. */
export const Freshness = Type.Object({
  firstSeenAt: Type.String({ format: 'date-time' }),
  lastSeenAt: Type.String({ format: 'date-time', description: 'When the crawl that last saw it started' }),
  lastCrawlId: Type.String(),
  lastJobId: Type.String(),
  contentHash: Type.String(),
});

export const CachedItem = Type.Composite([CrawledItem, Freshness]);
export type CachedItem = Static<typeof CachedItem>;

export const RoleDetails = Type.Object({
  path: Type.String(),
  roleId: Type.String(),
  createDate: Type.Optional(Type.String()),
  description: Type.Optional(Type.String()),
  maxSessionDuration: Type.Optional(Type.Integer()),
  assumeRolePolicyDocument: PolicyDocument,
  inlinePolicies: Type.Array(NamedPolicy),
  managedPolicies: Type.Array(AttachedPolicy),
  permissionsBoundary: Type.Optional(Type.Object({ type: Type.String(), arn: Type.String() })),
  lastUsed: Type.Optional(
    Type.Object({ date: Type.Optional(Type.String()), region: Type.Optional(Type.String()) }),
  ),
});
export type RoleDetails = Static<typeof RoleDetails>;

export const AwsAccount = Type.Object({
  id: AccountId,
  name: Type.String(),
  status: Type.String({ description: 'ACTIVE, SUSPENDED, PENDING_CLOSURE, CLOSED' }),
  email: Type.Optional(Type.String()),
});
export type AwsAccount = Static<typeof AwsAccount>;
