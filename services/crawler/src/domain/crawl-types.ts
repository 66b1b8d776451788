import { CrawlTypes, type CrawlType } from '@rolecall/shared/contracts';
import type { RolecallConfig } from '@rolecall/shared/config';

/** Every crawl type the configuration turns on; AWS Config is the only optional one. */
export function enabledCrawlTypes(config: Pick<RolecallConfig, 'crawl'>): CrawlType[] {
  return CrawlTypes.filter((type) => type !== 'config' || config.crawl.awsConfig.enabled);
}
