import type { StartCrawlReply, StartCrawlRequest } from '@rolecall/shared/contracts';

/**
 * Asks the crawler service to start an on-demand crawl. Throws the AppError the crawler replied with
 * (UNKNOWN_ACCOUNT…), CRAWLER_UNAVAILABLE when no crawler answers, TIMEOUT when it answers too late.
 */
export interface CrawlStarter {
  startCrawl(request: StartCrawlRequest): Promise<StartCrawlReply>;
}
