import type { NatsConnection } from '@nats-io/transport-node';
import type { RolecallConfig } from '@rolecall/shared/config';
import { createLogger } from '@rolecall/shared/log';
import { buildCrawlerService, type CrawlerService, type CrawlerServiceOptions } from '../src/service.js';
import type { logLines } from './results.js';
import { hubOptions } from './seed.js';

/**
 * A crawler process as its main.ts builds one, on moto with the hub's credentials, named `instance`
 * and logging into `logs`. `options` are the service's other settings (a faster schedule tick…).
 */
export function buildTestCrawler(
  config: RolecallConfig,
  nc: NatsConnection,
  run: { instance: string; motoUrl: string; logs: ReturnType<typeof logLines> },
  options: Partial<CrawlerServiceOptions> = {},
): CrawlerService {
  return buildCrawlerService({
    config,
    nc,
    instance: run.instance,
    log: createLogger({ service: run.instance, level: 'info', destination: run.logs.destination }),
    aws: hubOptions(run.motoUrl),
    ...options,
  });
}
