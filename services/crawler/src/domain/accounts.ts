import { randomUUID } from 'node:crypto';
import type { AccountsDiscovery, AwsAccount } from '@rolecall/shared/contracts';
import type { AccountSource, DiscoveryPublisher } from './ports.js';

/** Only active accounts are crawled; suspended, closing and closed ones are reported but skipped. */
export const isCrawlable = (account: AwsAccount): boolean => account.status === 'ACTIVE';

/** Sorted by id, deduplicated (the first entry for an id wins), so discoveries compare cleanly. */
export function normalizeAccounts(accounts: readonly AwsAccount[]): AwsAccount[] {
  const byId = new Map<string, AwsAccount>();
  for (const account of accounts) if (!byId.has(account.id)) byId.set(account.id, account);
  return [...byId.values()].sort((a, b) => a.id.localeCompare(b.id));
}

export interface AccountDiscovery {
  /** Lists accounts now, publishes the discovery, and returns it (every account, active or not). */
  discover(): Promise<AccountsDiscovery>;
}

/**
 * Discovery runs on every fan-out rather than being cached, so an account that appears or disappears is
 * noticed at the next crawl without a restart.
 */
export function createAccountDiscovery(options: {
  source: AccountSource;
  publisher: DiscoveryPublisher;
  now?: () => Date;
}): AccountDiscovery {
  const now = options.now ?? (() => new Date());
  return {
    async discover() {
      const accounts = normalizeAccounts(await options.source.listAccounts());
      const discovery: AccountsDiscovery = {
        discoveryId: randomUUID(),
        source: options.source.kind,
        discoveredAt: now().toISOString(),
        accounts,
      };
      await options.publisher.publish(discovery);
      return discovery;
    },
  };
}
