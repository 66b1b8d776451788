import { ItemSummary, ItemType } from '@rolecall/shared/contracts';
import { Type } from 'typebox';
import { decodeCursor, encodeCursor } from '../../domain/cursor.js';
import {
  parseTagFilter,
  searchIndex,
  searchResources,
  type ResourceFilter,
} from '../../domain/resource-search.js';
import type { GatewayApp, RouteDeps } from '../deps.js';
import { AccountIdString, commonErrors } from '../schemas.js';

const Query = Type.Object(
  {
    query: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 256,
        description: 'Case-insensitive substring of the ARN or name',
      }),
    ),
    type: Type.Optional(ItemType),
    account: Type.Optional(AccountIdString),
    tag: Type.Optional(Type.String({ minLength: 1, maxLength: 400, description: '`key` or `key=value`' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    cursor: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 4096,
        pattern: '^[A-Za-z0-9_-]+$',
        description: 'nextCursor of the previous page',
      }),
    ),
  },
  { additionalProperties: false },
);

const Resource = Type.Evaluate(Type.Intersect([ItemSummary, Type.Object({ accountName: Type.String() })]));

const Response = Type.Object({
  data: Type.Array(Resource),
  nextCursor: Type.Union([Type.String(), Type.Null()], {
    description:
      'Pass as `cursor` for the next page; null on the last page. A page may hold fewer than `limit` items.',
  }),
});

/** `GET /api/v3/resources`: search the cache with cursor pagination in ARN order. */
export function registerListResourcesRoute(app: GatewayApp, deps: RouteDeps): void {
  app.get(
    '/api/v3/resources',
    {
      schema: {
        tags: ['resources'],
        summary: 'Search cached resources, one page at a time',
        querystring: Query,
        response: { 200: Response, ...commonErrors },
      },
    },
    async (request) => {
      const q = request.query;
      const filter: ResourceFilter = {
        ...(q.query === undefined ? {} : { query: q.query }),
        ...(q.type === undefined ? {} : { itemType: q.type }),
        ...(q.account === undefined ? {} : { accountId: q.account }),
        ...(q.tag === undefined ? {} : { tag: parseTagFilter(q.tag) }),
      };
      const options = {
        filter,
        limit: q.limit ?? 50,
        ...(q.cursor === undefined ? {} : { after: decodeCursor(q.cursor) }),
      };
      const view = await deps.catalog.view();
      const page = view.index
        ? searchIndex(view.index, options)
        : await searchResources(deps.readModel, {
            ...options,
            chunkSize: deps.limits.chunkSize,
            scanLimit: deps.limits.pageScanLimit,
          });
      return {
        data: page.items.map((item) => ({
          ...view.freshen(item),
          accountName: view.accountName(item.accountId),
        })),
        nextCursor: page.nextAfter === null ? null : encodeCursor(page.nextAfter),
      };
    },
  );
}
