import { randomUUID } from 'node:crypto';
import type { CrawlJob, CrawlType, StartCrawlReply } from '@rolecall/shared/contracts';
import { AppError } from '@rolecall/shared/errors';
import { isCrawlable, type AccountDiscovery } from './accounts.js';
import type { JobQueue } from './ports.js';

export interface CrawlRequest {
  accountIds?: readonly string[] | undefined;
  crawlTypes?: readonly CrawlType[] | undefined;
  trigger: CrawlJob['trigger'];
  requestedBy: string;
}

/**
 * Checks a request against the discovered accounts and the enabled crawl types before anything is
 * enqueued, so a refused request changes nothing. Returns the (account, type) pairs to enqueue.
 */
export function selectCrawlTargets(options: {
  accounts: readonly { id: string; name: string; status: string }[];
  enabledTypes: readonly CrawlType[];
  accountIds?: readonly string[] | undefined;
  crawlTypes?: readonly CrawlType[] | undefined;
}): { accountId: string; accountName: string; crawlType: CrawlType }[] {
  const active = options.accounts.filter(isCrawlable);
  let chosen = active;
  if (options.accountIds) {
    const byId = new Map(active.map((a) => [a.id, a]));
    const unknown = options.accountIds.filter((id) => !byId.has(id));
    if (unknown.length > 0) {
      throw new AppError(
        'UNKNOWN_ACCOUNT',
        `unknown or inactive account(s): ${unknown.join(', ')}; only discovered active accounts can be crawled`,
        { context: { accountIds: unknown } },
      );
    }
    chosen = options.accountIds.map((id) => byId.get(id)!);
  }
  let types = options.enabledTypes;
  if (options.crawlTypes) {
    const disabled = options.crawlTypes.filter((t) => !options.enabledTypes.includes(t));
    if (disabled.length > 0) {
      throw new AppError('VALIDATION_FAILED', `crawl type(s) disabled in config: ${disabled.join(', ')}`, {
        context: { crawlTypes: disabled },
      });
    }
    types = options.crawlTypes;
  }
  return chosen.flatMap((account) =>
    types.map((crawlType) => ({ accountId: account.id, accountName: account.name, crawlType })),
  );
}

export interface CrawlPlanner {
  /** Discovers accounts, then enqueues one job per (account, type) under one crawl id. */
  planCrawl(request: CrawlRequest): Promise<StartCrawlReply>;
}

export function createCrawlPlanner(options: {
  discovery: AccountDiscovery;
  queue: JobQueue;
  enabledTypes: readonly CrawlType[];
  now?: () => Date;
}): CrawlPlanner {
  const now = options.now ?? (() => new Date());
  return {
    async planCrawl(request) {
      const { accounts } = await options.discovery.discover();
      const targets = selectCrawlTargets({
        accounts,
        enabledTypes: options.enabledTypes,
        accountIds: request.accountIds,
        crawlTypes: request.crawlTypes,
      });
      const crawlId = randomUUID();
      const jobs: StartCrawlReply['jobs'] = [];
      for (const target of targets) {
        const result = await options.queue.enqueue({
          jobId: randomUUID(),
          crawlId,
          accountId: target.accountId,
          accountName: target.accountName,
          crawlType: target.crawlType,
          trigger: request.trigger,
          requestedBy: request.requestedBy,
          queuedAt: now().toISOString(),
        });
        jobs.push({
          jobId: result.jobId,
          accountId: target.accountId,
          crawlType: target.crawlType,
          state: result.state,
        });
      }
      return { crawlId, jobs };
    },
  };
}
