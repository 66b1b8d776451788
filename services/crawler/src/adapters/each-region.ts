import { translateAwsError, type AwsClientOptions } from '@rolecall/shared/aws';
import type { CrawledItem } from '@rolecall/shared/contracts';
import type { AppError } from '@rolecall/shared/errors';

/** Translates an AWS error of one call, naming the operation, the account and the region. */
export type FailIn = (operation: string, error: unknown) => AppError;

/**
 * Crawls one account region by region: a client per region on the spoke's credentials, destroyed once
 * its region is done or the crawl stops, and a `fail` that says where an AWS error happened.
 */
export async function* eachRegion<Client extends { destroy(): void }>(options: {
  spoke: AwsClientOptions;
  accountId: string;
  regions: readonly string[];
  newClient: (clientOptions: AwsClientOptions) => Client;
  crawlRegion: (client: Client, region: string, fail: FailIn) => AsyncIterable<CrawledItem>;
}): AsyncIterable<CrawledItem> {
  for (const region of options.regions) {
    const client = options.newClient({ ...options.spoke, region });
    const fail: FailIn = (operation, error) =>
      translateAwsError(error, { operation, accountId: options.accountId, region });
    try {
      yield* options.crawlRegion(client, region, fail);
    } finally {
      client.destroy();
    }
  }
}
