import { AccountId, CrawlType, StartCrawlReply } from '@rolecall/shared/contracts';
import { Type } from 'typebox';
import type { GatewayApp, RouteDeps } from '../deps.js';
import { ErrorBody, commonErrors } from '../schemas.js';

const Body = Type.Object(
  {
    accountIds: Type.Optional(
      Type.Array(AccountId, {
        minItems: 1,
        maxItems: 10_000,
        uniqueItems: true,
        description: 'Default: every account',
      }),
    ),
    resourceTypes: Type.Optional(
      Type.Array(CrawlType, {
        minItems: 1,
        uniqueItems: true,
        description: 'Crawl types; default: every type',
      }),
    ),
  },
  { additionalProperties: false },
);

/** `POST /api/v3/cache/refresh`: admins start an on-demand crawl; the crawler queues the jobs. */
export function registerRefreshCacheRoute(app: GatewayApp, deps: RouteDeps): void {
  app.post(
    '/api/v3/cache/refresh',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['cache'],
        summary: 'Start an on-demand crawl (admins only)',
        body: Body,
        response: {
          202: StartCrawlReply,
          ...commonErrors,
          403: ErrorBody,
          404: ErrorBody,
          503: ErrorBody,
          504: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const { accountIds, resourceTypes } = request.body;
      const started = await deps.crawlStarter.startCrawl({
        ...(accountIds === undefined ? {} : { accountIds }),
        ...(resourceTypes === undefined ? {} : { crawlTypes: resourceTypes }),
        // The auth hook guarantees an identity on admin routes.
        requestedBy: request.identity?.user ?? 'unknown',
      });
      deps.log.info(
        { user: request.identity?.user, crawlId: started.crawlId, jobs: started.jobs.length },
        'crawl requested',
      );
      return reply.status(202).send(started);
    },
  );
}
