import { Type } from 'typebox';
import { typeaheadArns, typeaheadArnsInIndex, type ArnTypeaheadQuery } from '../../domain/typeahead.js';
import type { GatewayApp, RouteDeps } from '../deps.js';
import { AccountIdString, commonErrors } from '../schemas.js';

const Query = Type.Object(
  {
    typeahead: Type.String({
      minLength: 1,
      maxLength: 256,
      description: 'Case-insensitive substring of the ARN',
    }),
    account_id: Type.Optional(AccountIdString),
    resource_type: Type.Optional(
      Type.String({
        pattern: '^[a-z0-9-]{1,64}$',
        description: 'The ARN service field: s3, sqs, sns, iam, ec2…',
      }),
    ),
    region: Type.Optional(Type.String({ pattern: '^[a-z0-9-]{0,32}$', description: 'The ARN region field' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 20 })),
    ui_formatted: Type.Optional(
      Type.Boolean({ default: false, description: 'Answer [{title}] instead of [arn]' }),
    ),
  },
  { additionalProperties: false },
);

const Response = Type.Union([Type.Array(Type.String()), Type.Array(Type.Object({ title: Type.String() }))]);

/** `GET /api/v2/typeahead/resources`: ARN search over every cached resource (ConsoleMe compatible). */
export function registerResourcesTypeaheadRoute(app: GatewayApp, deps: RouteDeps): void {
  app.get(
    '/api/v2/typeahead/resources',
    {
      schema: {
        tags: ['typeahead'],
        summary: 'ARNs of cached resources containing the text',
        querystring: Query,
        response: { 200: Response, ...commonErrors },
      },
    },
    async (request) => {
      const q = request.query;
      const query: ArnTypeaheadQuery = {
        typeahead: q.typeahead,
        limit: q.limit ?? 20,
        ...(q.account_id === undefined ? {} : { accountId: q.account_id }),
        ...(q.resource_type === undefined ? {} : { service: q.resource_type }),
        ...(q.region === undefined ? {} : { region: q.region }),
      };
      const { index } = await deps.catalog.view();
      const arns = index
        ? typeaheadArnsInIndex(index, query)
        : await typeaheadArns(deps.readModel, query, {
            chunkSize: deps.limits.chunkSize,
            scanLimit: deps.limits.typeaheadScanLimit,
          });
      return q.ui_formatted ? arns.map((title) => ({ title })) : arns;
    },
  );
}
