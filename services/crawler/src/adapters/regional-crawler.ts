import { translateAwsError, type AwsClientOptions } from '@rolecall/shared/aws';
import type { CrawledItem } from '@rolecall/shared/contracts';
import type { AppError } from '@rolecall/shared/errors';
import type { Crawler, CrawlTarget } from '../domain/ports.js';
import type { SpokeAccess } from './spoke-access.js';

/** Translates an AWS error of one call, naming the operation, the account and the region. */
export type FailIn = (operation: string, error: unknown) => AppError;

/** What one region's crawl is given besides its client. */
export interface RegionCrawl {
  target: CrawlTarget;
  region: string;
  signal: AbortSignal;
  fail: FailIn;
}

/** Where a regional crawler goes: every account through its spoke role, in these regions. */
export interface RegionalCrawlerOptions {
  access: SpokeAccess;
  regions: readonly string[];
}

/**
 * A crawler that goes through an account region by region on the account's spoke credentials: a client
 * per region, destroyed once its region is done or the crawl stops, and a `fail` that says where an AWS
 * error happened. With no regions it assumes no role and yields nothing.
 */
export function createRegionalCrawler<Client extends { destroy(): void }>(
  options: RegionalCrawlerOptions & {
    newClient: (clientOptions: AwsClientOptions) => Client;
    crawlRegion: (client: Client, crawl: RegionCrawl) => AsyncIterable<CrawledItem>;
  },
): Crawler {
  return async function* crawlRegions(target, signal) {
    if (options.regions.length === 0) return;
    const spoke = await options.access.open(target.accountId);
    for (const region of options.regions) {
      const client = options.newClient({ ...spoke, region });
      const fail: FailIn = (operation, error) =>
        translateAwsError(error, { operation, accountId: target.accountId, region });
      try {
        yield* options.crawlRegion(client, { target, region, signal, fail });
      } finally {
        client.destroy();
      }
    }
  };
}
