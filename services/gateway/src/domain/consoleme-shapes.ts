import type { CachedItem, RoleDetails, Tags } from '@rolecall/shared/contracts';

export interface TagModel {
  Key: string;
  Value: string;
}

export const toTagList = (tags: Tags): TagModel[] =>
  Object.entries(tags)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([Key, Value]) => ({ Key, Value }));

/** ConsoleMe's ExtendedAwsPrincipalModel, restricted to the fields Rolecall can fill from its cache. */
export interface RoleModel {
  name: string;
  account_id: string;
  account_name: string;
  arn: string;
  inline_policies: { PolicyName: string; PolicyDocument: unknown }[];
  assume_role_policy_document: unknown;
  managed_policies: { PolicyName: string; PolicyArn: string }[];
  permissions_boundary:
    { PermissionsBoundaryType: string; PermissionsBoundaryArn: string } | Record<string, never>;
  tags: TagModel[];
  created_time?: string;
  last_used_time?: string;
  description?: string;
  templated: false;
  last_seen: string;
  last_crawl_id: string;
}

/** Maps a cached IAM role (camelCase details from the crawler) to ConsoleMe's principal shape. */
export function toRoleModel(item: CachedItem, accountName: string): RoleModel {
  const details = item.details as Partial<RoleDetails>;
  const boundary = details.permissionsBoundary;
  return {
    name: item.name,
    account_id: item.accountId,
    account_name: accountName,
    arn: item.arn,
    inline_policies: (details.inlinePolicies ?? []).map((p) => ({
      PolicyName: p.name,
      PolicyDocument: p.document,
    })),
    assume_role_policy_document: details.assumeRolePolicyDocument ?? null,
    managed_policies: (details.managedPolicies ?? []).map((p) => ({ PolicyName: p.name, PolicyArn: p.arn })),
    permissions_boundary: boundary
      ? { PermissionsBoundaryType: boundary.type, PermissionsBoundaryArn: boundary.arn }
      : {},
    tags: toTagList(item.tags),
    ...(details.createDate === undefined ? {} : { created_time: details.createDate }),
    ...(details.lastUsed?.date === undefined ? {} : { last_used_time: details.lastUsed.date }),
    ...(details.description === undefined ? {} : { description: details.description }),
    templated: false,
    last_seen: item.lastSeenAt,
    last_crawl_id: item.lastCrawlId,
  };
}

/** Resource kinds of `GET /api/v2/resources/{account}/{kind}/...`, as in ConsoleMe's URL. */
export const RESOURCE_KINDS = ['s3', 'sqs', 'sns', 'managed_policy'] as const;
export type ResourceKind = (typeof RESOURCE_KINDS)[number];

const KIND_ITEM_TYPE = {
  s3: 's3_bucket',
  sqs: 'sqs_queue',
  sns: 'sns_topic',
  managed_policy: 'managed_policy',
} as const;

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const QUEUE_OR_TOPIC = /^[A-Za-z0-9_-]{1,256}(\.fifo)?$/;
const POLICY_PATH_SEGMENT = /^[\w+=,.@-]{1,128}$/;

export type ResourceAddress =
  { ok: true; arn: string; itemType: (typeof KIND_ITEM_TYPE)[ResourceKind] } | { ok: false; problem: string };

/**
 * The ARN ConsoleMe's resource URL names: `/s3/<bucket>`, `/sqs/<region>/<name>`,
 * `/sns/<region>/<name>`, `/managed_policy/<path...>/<name>`.
 */
export function resourceArnFromPath(accountId: string, kind: ResourceKind, rest: string): ResourceAddress {
  const parts = rest.split('/').filter((p) => p.length > 0);
  const itemType = KIND_ITEM_TYPE[kind];
  switch (kind) {
    case 's3': {
      const [bucket] = parts;
      if (parts.length !== 1 || !bucket || !BUCKET.test(bucket)) {
        return { ok: false, problem: 'expected /s3/<bucket> with a valid bucket name' };
      }
      return { ok: true, itemType, arn: `arn:aws:s3:::${bucket}` };
    }
    case 'sqs':
    case 'sns': {
      const [region, name] = parts;
      if (parts.length !== 2 || !region || !name || !REGION.test(region) || !QUEUE_OR_TOPIC.test(name)) {
        return { ok: false, problem: `expected /${kind}/<region>/<name>, e.g. /${kind}/us-east-1/orders` };
      }
      return { ok: true, itemType, arn: `arn:aws:${kind}:${region}:${accountId}:${name}` };
    }
    case 'managed_policy': {
      if (parts.length === 0 || !parts.every((p) => POLICY_PATH_SEGMENT.test(p))) {
        return { ok: false, problem: 'expected /managed_policy/<path...>/<name>' };
      }
      return { ok: true, itemType, arn: `arn:aws:iam::${accountId}:policy/${parts.join('/')}` };
    }
  }
}

/** ConsoleMe's resource detail shape (`read_only` always: Rolecall changes resources through requests). */
export interface ResourceModel {
  arn: string;
  resource_details: { Policy: unknown; TagSet: TagModel[]; [attribute: string]: unknown };
  account_id: string;
  account_name: string;
  read_only: true;
  last_seen: string;
  last_crawl_id: string;
}

/** Detail keys that hold the resource's policy document, in the order they are looked for. */
const POLICY_KEYS = ['policy', 'policyDocument', 'document'];

const pascalCase = (key: string) => key.charAt(0).toUpperCase() + key.slice(1);

/**
 * `resource_details` keeps ConsoleMe's PascalCase: `Policy` (the document, or null when none is set),
 * `TagSet`, then every other attribute the crawler recorded, its camelCase key PascalCased
 * (`queueUrl` → `QueueUrl`).
 */
export function toResourceModel(item: CachedItem, accountName: string): ResourceModel {
  const policyKey = POLICY_KEYS.find((k) => item.details[k] !== undefined);
  const attributes = Object.fromEntries(
    Object.entries(item.details)
      .filter(([key]) => key !== policyKey && key !== 'tags')
      .map(([key, value]) => [pascalCase(key), value]),
  );
  return {
    arn: item.arn,
    resource_details: {
      ...attributes,
      Policy: policyKey === undefined ? null : item.details[policyKey],
      TagSet: toTagList(item.tags),
    },
    account_id: item.accountId,
    account_name: accountName,
    read_only: true,
    last_seen: item.lastSeenAt,
    last_crawl_id: item.lastCrawlId,
  };
}

/** The role's name as IAM knows it: the part after the last `/` of the ARN's resource. */
export const roleNameOfArn = (arn: string): string => arn.slice(arn.lastIndexOf('/') + 1);
