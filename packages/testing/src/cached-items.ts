import type { CachedItem, ItemType } from '@rolecall/shared/contracts';

/** The least `details` a valid item of each type carries, for items whose details a test does not care about. */
export function minimalDetails(itemType: ItemType, name: string): Record<string, unknown> {
  const principal = { path: '/', inlinePolicies: [], managedPolicies: [] };
  switch (itemType) {
    case 'iam_role':
      return { ...principal, roleId: `AROA${name}`, assumeRolePolicyDocument: null };
    case 'iam_user':
      return { ...principal, userId: `AIDA${name}`, groups: [] };
    case 'iam_group':
      return { ...principal, groupId: `AGPA${name}` };
    case 'managed_policy':
      return { path: '/', policyId: `ANPA${name}`, document: null };
    case 's3_bucket':
    case 'sqs_queue':
    case 'sns_topic':
      return { policy: null };
    case 'config_resource':
      return { resourceType: 'AWS::Unknown', resourceId: name };
  }
}

/** Builds a cached item as the cache service stores it (its details valid for its type unless given). */
export function cachedItem(
  fields: Pick<CachedItem, 'arn' | 'itemType' | 'accountId' | 'name'> &
    Partial<Pick<CachedItem, 'region' | 'tags' | 'details' | 'lastSeenAt' | 'lastCrawlId'>>,
): CachedItem {
  return {
    region: 'global',
    tags: {},
    details: minimalDetails(fields.itemType, fields.name),
    firstSeenAt: '2026-01-01T00:00:00.000Z',
    lastSeenAt: '2026-03-01T10:00:00.000Z',
    lastCrawlId: 'crawl-1',
    lastJobId: 'job-1',
    contentHash: 'hash',
    ...fields,
  };
}
