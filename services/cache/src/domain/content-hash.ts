import { createHash } from 'node:crypto';
import type { CrawledItem } from '@rolecall/shared/contracts';

/**
 * JSON with object keys sorted at every depth, so two crawls that return the same content in a
 * different key order hash the same. Array order is kept: it is meaningful in policies.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : sortKeys(v)));
  if (value !== null && typeof value === 'object') {
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const child = (value as Record<string, unknown>)[key];
      if (child !== undefined) sorted[key] = sortKeys(child);
    }
    return sorted;
  }
  return value;
}

/**
 * Details that record use, not configuration. They change whenever someone (the crawler's own spoke
 * session included) uses the principal, so counting them would announce every used role as changed on
 * every crawl. They are still stored with the item; they only do not make a change event.
 */
export const USAGE_DETAIL_KEYS: readonly string[] = ['lastUsed', 'passwordLastUsed'];

/** sha256 of the crawled configuration only: freshness fields and usage telemetry must not count. */
export function contentHashOf(item: CrawledItem): string {
  const details = Object.fromEntries(
    Object.entries(item.details).filter(([key]) => !USAGE_DETAIL_KEYS.includes(key)),
  );
  const content = {
    arn: item.arn,
    itemType: item.itemType,
    accountId: item.accountId,
    region: item.region,
    name: item.name,
    tags: item.tags,
    details,
  };
  return createHash('sha256').update(canonicalJson(content)).digest('hex');
}
