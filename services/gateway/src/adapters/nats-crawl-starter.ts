import type { NatsConnection } from '@nats-io/transport-node';
import { crawlerOperations } from '@rolecall/shared/contracts';
import { request } from '@rolecall/shared/nats';
import type { CrawlStarter } from '../domain/ports.js';

export interface NatsCrawlStarterOptions {
  nc: NatsConnection;
  timeoutMs?: number;
}

/** Calls `crawlerOperations.startCrawl` over NATS request/reply; the crawler's AppErrors come back as thrown. */
export function createNatsCrawlStarter({ nc, timeoutMs = 10_000 }: NatsCrawlStarterOptions): CrawlStarter {
  return {
    startCrawl: (data) =>
      request(nc, crawlerOperations.startCrawl, data, {
        source: 'gateway',
        timeoutMs,
      }),
  };
}
