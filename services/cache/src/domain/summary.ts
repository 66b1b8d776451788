import { TECHNOLOGY_OF_ITEM, type CachedItem, type ItemSummary } from '@rolecall/shared/contracts';

/** ConsoleMe's technology column; AWS Config items carry their own AWS resource type. */
export function technologyOf(item: Pick<CachedItem, 'itemType' | 'details'>): string {
  if (item.itemType === 'config_resource') {
    const resourceType = item.details.resourceType;
    return typeof resourceType === 'string' && resourceType !== '' ? resourceType : 'config_resource';
  }
  return TECHNOLOGY_OF_ITEM[item.itemType];
}

export function buildSummary(item: CachedItem): ItemSummary {
  return {
    arn: item.arn,
    itemType: item.itemType,
    technology: technologyOf(item),
    accountId: item.accountId,
    region: item.region,
    name: item.name,
    tags: item.tags,
    lastSeenAt: item.lastSeenAt,
  };
}
