import { CrawlTypes, type CrawlType } from '@rolecall/shared/contracts';
import { Type } from 'typebox';
import { buildCacheStatusRows } from '../../domain/cache-status.js';
import type { GatewayApp, RouteDeps } from '../deps.js';
import { commonErrors } from '../schemas.js';

const Row = Type.Object({
  accountId: Type.String(),
  accountName: Type.String(),
  crawlType: Type.String(),
  running: Type.Boolean(),
  runningSince: Type.Optional(Type.String({ format: 'date-time' })),
  lastSuccessAt: Type.Optional(Type.String({ format: 'date-time' })),
  lastSuccessCrawlId: Type.Optional(Type.String()),
  itemCount: Type.Integer({ minimum: 0 }),
  lastError: Type.Optional(Type.Object({ code: Type.String(), message: Type.String(), at: Type.String() })),
});

/** `GET /api/v3/cache/status`: freshness of every account × crawl type. */
export function registerGetCacheStatusRoute(app: GatewayApp, deps: RouteDeps): void {
  // AWS Config crawls are not run when disabled, so listing them would show a permanent gap.
  const crawlTypes: CrawlType[] = CrawlTypes.filter(
    (t) => t !== 'config' || deps.config.crawl.awsConfig.enabled,
  );
  app.get(
    '/api/v3/cache/status',
    {
      schema: {
        tags: ['cache'],
        summary: 'Last successful crawl, item count, running state and last error per account and type',
        response: { 200: Type.Object({ data: Type.Array(Row) }), ...commonErrors },
      },
    },
    async () => {
      const [accounts, statuses] = await Promise.all([
        deps.readModel.listAccounts(),
        deps.readModel.listCrawlStatuses(),
      ]);
      return { data: buildCacheStatusRows(accounts, statuses, crawlTypes) };
    },
  );
}
