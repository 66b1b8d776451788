import type { StartCrawlReply, StartCrawlRequest } from '@rolecall/shared/contracts';
import type { CrawlPlanner } from '../domain/plan-crawl.js';

/** `crawler.crawl.start`: an on-demand crawl of some or all accounts and types. */
export function createStartCrawlHandler(options: { planner: CrawlPlanner }) {
  return function startCrawl(request: StartCrawlRequest): Promise<StartCrawlReply> {
    return options.planner.planCrawl({
      accountIds: request.accountIds,
      crawlTypes: request.crawlTypes,
      trigger: 'demand',
      requestedBy: request.requestedBy,
    });
  };
}
