import { checkCachedItem } from '@rolecall/cache/reader';
import type { AwsAccount, CachedItem, CrawlStatus } from '@rolecall/shared/contracts';
import { cachedItem } from '@rolecall/testing';
import { redisKeys, type Redis } from '@rolecall/shared/redis';
import { createRedisReadModel } from '../../cache/src/adapters/redis-read-model.js';

/** Items written at once: ioredis sends each without waiting for the replies before it, a pipeline. */
const WRITES_IN_FLIGHT = 1_000;

/**
 * Writes items, accounts and crawl statuses through the cache service's own Redis writer, so the layout
 * (items, summaries, indexes) is the cache's by construction. An item the cache's reader would refuse is a
 * mistake in the test, reported here rather than read as absent later.
 */
export async function seedRedis(
  redis: Redis,
  prefix: string,
  data: { items?: CachedItem[]; accounts?: AwsAccount[]; statuses?: CrawlStatus[] },
): Promise<void> {
  const writer = createRedisReadModel({ redis, keys: redisKeys(prefix) });
  const items = data.items ?? [];
  for (const item of items) {
    const checked = checkCachedItem(item);
    if (!checked.ok) throw new Error(`seed item ${item.arn} is not a valid cached item: ${checked.problem}`);
  }
  for (let start = 0; start < items.length; start += WRITES_IN_FLIGHT) {
    await Promise.all(items.slice(start, start + WRITES_IN_FLIGHT).map((item) => writer.putItem(item)));
  }
  if (data.accounts) await writer.replaceAccounts(data.accounts, new Date().toISOString());
  await Promise.all(
    (data.statuses ?? []).map((status) => writer.putStatus({ ...status, revision: status.revision ?? 0 })),
  );
}

export const PROD = '111111111111';
export const DEV = '222222222222';
export const STAGING = '333333333333';

export const ACCOUNTS: AwsAccount[] = [
  { id: PROD, name: 'prod', status: 'ACTIVE' },
  { id: DEV, name: 'dev', status: 'ACTIVE' },
  { id: STAGING, name: 'staging', status: 'ACTIVE' },
];

/** The policy document the seeded items carry, so tests can expect it exactly. */
export const policy = (resource: string) => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: '*', Action: '*', Resource: resource }],
});

/** A small organisation: named items for the detail routes plus enough roles to span many pages. */
export function demoItems(): CachedItem[] {
  const named: CachedItem[] = [
    cachedItem({
      arn: `arn:aws:iam::${PROD}:role/admin`,
      itemType: 'iam_role',
      accountId: PROD,
      name: 'admin',
      tags: { team: 'platform', 'consoleme-authorized': 'admins' },
      details: {
        path: '/',
        roleId: 'AROA1',
        createDate: '2025-06-01T00:00:00.000Z',
        description: 'Break-glass admin',
        assumeRolePolicyDocument: policy('*'),
        inlinePolicies: [{ name: 'all', document: policy('*') }],
        managedPolicies: [{ name: 'ReadOnly', arn: `arn:aws:iam::${PROD}:policy/team/ReadOnly` }],
        permissionsBoundary: { type: 'Policy', arn: `arn:aws:iam::${PROD}:policy/boundary` },
        lastUsed: { date: '2026-02-28T12:00:00.000Z', region: 'us-east-1' },
      },
    }),
    cachedItem({
      arn: `arn:aws:iam::${PROD}:role/service/deploy-bot`,
      itemType: 'iam_role',
      accountId: PROD,
      name: 'deploy-bot',
      tags: { team: 'delivery' },
      details: {
        path: '/service/',
        roleId: 'AROA2',
        assumeRolePolicyDocument: policy('*'),
        inlinePolicies: [],
        managedPolicies: [],
      },
    }),
    cachedItem({
      arn: `arn:aws:iam::${DEV}:role/deploy-bot`,
      itemType: 'iam_role',
      accountId: DEV,
      name: 'deploy-bot',
      tags: { team: 'delivery' },
      details: {
        path: '/',
        roleId: 'AROA3',
        assumeRolePolicyDocument: {},
        inlinePolicies: [],
        managedPolicies: [],
      },
    }),
    cachedItem({
      arn: `arn:aws:iam::${PROD}:policy/team/ReadOnly`,
      itemType: 'managed_policy',
      accountId: PROD,
      name: 'ReadOnly',
      details: { path: '/team/', policyId: 'ANPA1', document: policy('*'), defaultVersionId: 'v3' },
    }),
    cachedItem({
      arn: 'arn:aws:s3:::prod-logs',
      itemType: 's3_bucket',
      accountId: PROD,
      name: 'prod-logs',
      region: 'us-east-1',
      tags: { team: 'platform', env: 'prod' },
      details: { policy: policy('arn:aws:s3:::prod-logs/*'), creationDate: '2024-01-01T00:00:00.000Z' },
    }),
    cachedItem({
      arn: `arn:aws:sqs:us-east-1:${PROD}:orders`,
      itemType: 'sqs_queue',
      accountId: PROD,
      name: 'orders',
      region: 'us-east-1',
      details: { policy: policy('*'), queueUrl: `https://sqs.us-east-1.amazonaws.com/${PROD}/orders` },
    }),
    cachedItem({
      arn: `arn:aws:sns:us-west-2:${DEV}:alerts`,
      itemType: 'sns_topic',
      accountId: DEV,
      name: 'alerts',
      region: 'us-west-2',
      tags: { env: 'dev' },
      details: { policy: null },
    }),
    cachedItem({
      arn: `arn:aws:ec2:us-east-1:${STAGING}:instance/i-0abc`,
      itemType: 'config_resource',
      accountId: STAGING,
      name: 'i-0abc',
      region: 'us-east-1',
      details: { resourceType: 'AWS::EC2::Instance', resourceId: 'i-0abc' },
    }),
  ];
  const bulk = Array.from({ length: 137 }, (_, i) =>
    cachedItem({
      arn: `arn:aws:iam::${STAGING}:role/bulk/r-${String(i).padStart(3, '0')}`,
      itemType: 'iam_role',
      accountId: STAGING,
      name: `r-${String(i).padStart(3, '0')}`,
      tags: i % 3 === 0 ? { tier: i % 2 === 0 ? 'gold' : 'silver' } : {},
      details: {
        path: '/bulk/',
        roleId: `AROB${i}`,
        assumeRolePolicyDocument: {},
        inlinePolicies: [],
        managedPolicies: [],
      },
    }),
  );
  return [...named, ...bulk];
}

export const ADMIN = {
  'x-forwarded-email': 'admin@example.com',
  'x-forwarded-groups': 'Admins, engineering',
};
export const USER = { 'x-forwarded-email': 'alice@example.com', 'x-forwarded-groups': 'engineering' };
