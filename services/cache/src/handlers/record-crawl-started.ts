import type { CrawlStart } from '@rolecall/shared/contracts';
import { applyStarted } from '../domain/crawl-status.js';
import { updateStatus } from '../domain/update-status.js';
import { ACK, type HandlerDeps, type Outcome } from './deps.js';

/** crawler.result.started: the account and type show as running, unless a newer job got there first. */
export function createRecordCrawlStartedHandler(deps: Pick<HandlerDeps, 'state' | 'readModel'>) {
  return async (start: CrawlStart): Promise<Outcome> => {
    await updateStatus(deps, start.accountId, start.crawlType, (current) => applyStarted(current, start));
    return ACK;
  };
}
