import type { AwsAccount, CrawlStatus, CrawlType } from '@rolecall/shared/contracts';

export interface CacheStatusRow {
  accountId: string;
  accountName: string;
  crawlType: string;
  running: boolean;
  runningSince?: string;
  lastSuccessAt?: string;
  lastSuccessCrawlId?: string;
  itemCount: number;
  lastError?: { code: string; message: string; at: string };
}

/**
 * One row per known account × crawl type, including pairs never crawled yet (so a missing crawl is
 * visible rather than absent), sorted by account name, then type.
 */
export function buildCacheStatusRows(
  accounts: readonly AwsAccount[],
  statuses: readonly CrawlStatus[],
  crawlTypes: readonly CrawlType[],
): CacheStatusRow[] {
  const byKey = new Map(statuses.map((s) => [`${s.accountId}:${s.crawlType}`, s]));
  const types = [...crawlTypes].sort();
  const rows: CacheStatusRow[] = [];
  for (const account of [...accounts].sort(byNameThenId)) {
    for (const crawlType of types) {
      const status = byKey.get(`${account.id}:${crawlType}`);
      rows.push({
        accountId: account.id,
        accountName: account.name,
        crawlType,
        running: status?.running ?? false,
        ...(status?.running && status.runningSince ? { runningSince: status.runningSince } : {}),
        ...(status?.lastSuccessAt ? { lastSuccessAt: status.lastSuccessAt } : {}),
        ...(status?.lastSuccessCrawlId ? { lastSuccessCrawlId: status.lastSuccessCrawlId } : {}),
        itemCount: status?.itemCount ?? 0,
        ...(status?.lastError ? { lastError: status.lastError } : {}),
      });
    }
  }
  return rows;
}

const byNameThenId = (a: AwsAccount, b: AwsAccount) =>
  a.name.localeCompare(b.name) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
