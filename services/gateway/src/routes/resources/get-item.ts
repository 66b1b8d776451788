import { AppError } from '@rolecall/shared/errors';
import { CachedItem } from '@rolecall/shared/contracts';
import { Type } from 'typebox';
import type { GatewayApp, RouteDeps } from '../deps.js';
import { ErrorBody, commonErrors } from '../schemas.js';

const Query = Type.Object(
  {
    arn: Type.String({
      minLength: 20,
      maxLength: 2048,
      pattern: '^arn:aws[a-zA-Z-]*:[a-z0-9-]+:',
      description: 'The ARN of any cached item: role, user, group, managed policy, bucket, queue, topic',
    }),
  },
  { additionalProperties: false },
);

/**
 * `GET /api/v3/resources/item?arn=`: one cached item whole (its details: policies, trust, boundary, tags,
 * last use, attributes), for the web UI's resource page. The ConsoleMe routes each cover one kind and
 * shape it their way; this one answers every kind, IAM users included, in the cache's own shape.
 */
export function registerGetItemRoute(app: GatewayApp, deps: RouteDeps): void {
  app.get(
    '/api/v3/resources/item',
    {
      schema: {
        tags: ['resources'],
        summary: 'One cached item of any type, with everything the crawl recorded',
        querystring: Query,
        response: {
          200: Type.Object({ item: CachedItem, accountName: Type.String() }),
          404: ErrorBody,
          ...commonErrors,
        },
      },
    },
    async (request) => {
      const [item, view] = await Promise.all([
        deps.readModel.getItem(request.query.arn),
        deps.catalog.view(),
      ]);
      if (!item) {
        throw new AppError(
          'NOT_FOUND',
          `${request.query.arn} is not in the cache (yet): a crawl may add it`,
          {
            context: { arn: request.query.arn },
          },
        );
      }
      return { item, accountName: view.accountName(item.accountId) };
    },
  );
}
