import { LiteralUnion } from '@rolecall/shared/contracts';
import { Type } from 'typebox';
import {
  POLICY_TYPEAHEAD_RESOURCES,
  typeaheadPolicies,
  typeaheadPoliciesInIndex,
  type PolicyTypeaheadQuery,
} from '../../domain/typeahead.js';
import type { GatewayApp, RouteDeps } from '../deps.js';
import { AccountIdString, ErrorBody, commonErrors } from '../schemas.js';

const Query = Type.Object(
  {
    search: Type.String({ minLength: 1, maxLength: 256, description: 'Case-insensitive substring' }),
    // ConsoleMe's `app` (applications → roles) has no source in Rolecall, so it is refused by name.
    resource: LiteralUnion(POLICY_TYPEAHEAD_RESOURCES),
    account_id: Type.Optional(AccountIdString),
    // Weep's `search role` asks for 5000; the scan limit, not this, bounds the cost.
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000, default: 10 })),
    show_full_arn_for_s3_buckets: Type.Optional(
      Type.Boolean({ default: false, description: 's3 only: answer bucket ARNs instead of names' }),
    ),
  },
  { additionalProperties: false },
);

const Entry = Type.Object({ title: Type.String(), account_id: Type.Optional(Type.String()) });

/** `GET /api/v1/policies/typeahead`: ConsoleMe's per-kind typeahead (Weep's `search` uses it). */
export function registerPoliciesTypeaheadRoute(app: GatewayApp, deps: RouteDeps): void {
  app.get(
    '/api/v1/policies/typeahead',
    {
      // Weep's `search` calls it with its JWT cookie, as ConsoleMe's CLI handler.
      config: { access: 'cli' },
      schema: {
        tags: ['typeahead'],
        summary: 'Buckets, queues, topics, role ARNs, role names or accounts containing the text',
        querystring: Query,
        response: { 200: Type.Array(Entry), ...commonErrors, 403: ErrorBody },
      },
    },
    async (request) => {
      const q = request.query;
      const query: PolicyTypeaheadQuery = {
        search: q.search,
        resource: q.resource,
        limit: q.limit ?? 10,
        showFullArnForS3Buckets: q.show_full_arn_for_s3_buckets ?? false,
        ...(q.account_id === undefined ? {} : { accountId: q.account_id }),
      };
      const { index } = await deps.catalog.view();
      // Accounts are not in the index: that kind reads the (small) accounts hash.
      if (index && query.resource !== 'account') {
        return typeaheadPoliciesInIndex(index, { ...query, resource: query.resource });
      }
      return typeaheadPolicies(deps.readModel, query, {
        chunkSize: deps.limits.chunkSize,
        scanLimit: deps.limits.typeaheadScanLimit,
      });
    },
  );
}
