import './formats.js';
import { Type, type Static, type TSchema } from 'typebox';
import { LiteralUnion } from './literal-union.js';

export const AccountIdPattern = '^\\d{12}$';
export const AccountId = Type.String({ pattern: AccountIdPattern, description: '12-digit AWS account id' });

/**
 * What one crawl job covers. A complete crawl of (account, crawl type) is the authority for every item
 * type that crawl type produces: items it no longer contains are deleted.
 */
export const CrawlTypes = ['iam', 's3', 'sqs', 'sns', 'config'] as const;
export const CrawlType = LiteralUnion(CrawlTypes);
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
export const ItemType = LiteralUnion(ItemTypes);
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

export const CachedItem = Type.Evaluate(Type.Intersect([CrawledItem, Freshness]));
export type CachedItem = Static<typeof CachedItem>;

/*
 * What each item type carries in `details`, as the crawler's mappers record it. Required is what every
 * crawl has recorded and what Rolecall's own code reads: the ids, the policy documents (a resource policy
 * is null when none is set), an IAM principal's policy lists. Descriptive attributes are optional, and
 * fields no schema names are allowed, so an additive crawler change never turns stored entries corrupt.
 */

const PermissionsBoundary = Type.Object({ type: Type.String(), arn: Type.String() });

/** A resource policy (S3, SQS, SNS): the parsed document, or null when the resource has none. */
export const ResourcePolicy = Type.Unknown({
  description: 'The resource policy, parsed JSON; null when none',
});

/** An AWS attribute map with its keys camelCased (`VisibilityTimeout` → `visibilityTimeout`). */
export const ResourceAttributes = Type.Record(Type.String(), Type.String());

export const RoleDetails = Type.Object({
  path: Type.String(),
  roleId: Type.String(),
  createDate: Type.Optional(Type.String()),
  description: Type.Optional(Type.String()),
  maxSessionDuration: Type.Optional(Type.Integer()),
  assumeRolePolicyDocument: PolicyDocument,
  inlinePolicies: Type.Array(NamedPolicy),
  managedPolicies: Type.Array(AttachedPolicy),
  permissionsBoundary: Type.Optional(PermissionsBoundary),
  lastUsed: Type.Optional(
    Type.Object({ date: Type.Optional(Type.String()), region: Type.Optional(Type.String()) }),
  ),
});
export type RoleDetails = Static<typeof RoleDetails>;

export const UserDetails = Type.Object({
  path: Type.String(),
  userId: Type.String(),
  createDate: Type.Optional(Type.String()),
  inlinePolicies: Type.Array(NamedPolicy),
  managedPolicies: Type.Array(AttachedPolicy),
  /** Names of the groups the user is in. */
  groups: Type.Array(Type.String()),
  permissionsBoundary: Type.Optional(PermissionsBoundary),
});
export type UserDetails = Static<typeof UserDetails>;

export const GroupDetails = Type.Object({
  path: Type.String(),
  groupId: Type.String(),
  createDate: Type.Optional(Type.String()),
  inlinePolicies: Type.Array(NamedPolicy),
  managedPolicies: Type.Array(AttachedPolicy),
});
export type GroupDetails = Static<typeof GroupDetails>;

/** A customer managed policy with its default version's document. */
export const ManagedPolicyDetails = Type.Object({
  path: Type.String(),
  policyId: Type.String(),
  document: PolicyDocument,
  description: Type.Optional(Type.String()),
  defaultVersionId: Type.Optional(Type.String()),
  attachmentCount: Type.Optional(Type.Integer({ minimum: 0 })),
  permissionsBoundaryUsageCount: Type.Optional(Type.Integer({ minimum: 0 })),
  isAttachable: Type.Optional(Type.Boolean()),
  createDate: Type.Optional(Type.String()),
  updateDate: Type.Optional(Type.String()),
});
export type ManagedPolicyDetails = Static<typeof ManagedPolicyDetails>;

export const S3BucketDetails = Type.Object({
  policy: ResourcePolicy,
  creationDate: Type.Optional(Type.String()),
});
export type S3BucketDetails = Static<typeof S3BucketDetails>;

export const SqsQueueDetails = Type.Object({
  url: Type.Optional(Type.String()),
  policy: ResourcePolicy,
  /** GetQueueAttributes (All) without the policy, which is lifted out and parsed. */
  attributes: Type.Optional(ResourceAttributes),
});
export type SqsQueueDetails = Static<typeof SqsQueueDetails>;

export const SnsTopicDetails = Type.Object({
  policy: ResourcePolicy,
  /** GetTopicAttributes without the policy, which is lifted out and parsed. */
  attributes: Type.Optional(ResourceAttributes),
});
export type SnsTopicDetails = Static<typeof SnsTopicDetails>;

/** One AWS Config configuration item; `resourceType` is also the item's technology (AWS::EC2::Instance). */
export const ConfigResourceDetails = Type.Object({
  resourceType: Type.String({ minLength: 1 }),
  resourceId: Type.String({ minLength: 1 }),
  configuration: Type.Optional(
    Type.Unknown({ description: 'The configuration, parsed JSON; null when none' }),
  ),
  supplementaryConfiguration: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  configurationItemCaptureTime: Type.Optional(Type.String()),
  configurationItemStatus: Type.Optional(Type.String()),
  resourceCreationTime: Type.Optional(Type.String()),
  availabilityZone: Type.Optional(Type.String()),
});
export type ConfigResourceDetails = Static<typeof ConfigResourceDetails>;

/** The `details` schema of every item type. */
export const DETAILS_OF_ITEM = {
  iam_role: RoleDetails,
  iam_user: UserDetails,
  iam_group: GroupDetails,
  managed_policy: ManagedPolicyDetails,
  s3_bucket: S3BucketDetails,
  sqs_queue: SqsQueueDetails,
  sns_topic: SnsTopicDetails,
  config_resource: ConfigResourceDetails,
} as const satisfies Readonly<Record<ItemType, TSchema>>;

const cachedItemOf = <T extends ItemType>(itemType: T) =>
  Type.Object({
    ...CrawledItem.properties,
    ...Freshness.properties,
    itemType: Type.Literal(itemType),
    details: DETAILS_OF_ITEM[itemType],
  });

/*
 * A cached item whose details have been checked against its type's schema, so that `itemType` narrows
 * `details`. The cache's reader (@rolecall/cache/reader) returns these; `CachedItem` is the same item
 * with its details unchecked, as it travels on the bus.
 */
export const CachedRole = cachedItemOf('iam_role');
export type CachedRole = Static<typeof CachedRole>;
export const CachedUser = cachedItemOf('iam_user');
export type CachedUser = Static<typeof CachedUser>;
export const CachedGroup = cachedItemOf('iam_group');
export type CachedGroup = Static<typeof CachedGroup>;
export const CachedManagedPolicy = cachedItemOf('managed_policy');
export type CachedManagedPolicy = Static<typeof CachedManagedPolicy>;
export const CachedS3Bucket = cachedItemOf('s3_bucket');
export type CachedS3Bucket = Static<typeof CachedS3Bucket>;
export const CachedSqsQueue = cachedItemOf('sqs_queue');
export type CachedSqsQueue = Static<typeof CachedSqsQueue>;
export const CachedSnsTopic = cachedItemOf('sns_topic');
export type CachedSnsTopic = Static<typeof CachedSnsTopic>;
export const CachedConfigResource = cachedItemOf('config_resource');
export type CachedConfigResource = Static<typeof CachedConfigResource>;

export const TypedCachedItem = Type.Union([
  CachedRole,
  CachedUser,
  CachedGroup,
  CachedManagedPolicy,
  CachedS3Bucket,
  CachedSqsQueue,
  CachedSnsTopic,
  CachedConfigResource,
]);
export type TypedCachedItem = Static<typeof TypedCachedItem>;
/** The typed item of one item type: `CachedItemOf<'iam_role'>` is `CachedRole`. */
export type CachedItemOf<T extends ItemType> = Extract<TypedCachedItem, { itemType: T }>;

export const AwsAccount = Type.Object({
  id: AccountId,
  name: Type.String(),
  status: Type.String({ description: 'ACTIVE, SUSPENDED, PENDING_CLOSURE, CLOSED' }),
  email: Type.Optional(Type.String()),
});
export type AwsAccount = Static<typeof AwsAccount>;
