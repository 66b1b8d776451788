import { Type } from 'typebox';
import { compilePolicyFilters, toPolicyRow, type PolicyRow } from '../../domain/policy-table.js';
import { everySummary } from '../../domain/read-model.js';
import { MAX_PATTERN_LENGTH, createScanBudget } from '@rolecall/shared/regex';
import type { GatewayApp, RouteDeps } from '../deps.js';
import { commonErrors } from '../schemas.js';

const Pattern = Type.String({
  maxLength: MAX_PATTERN_LENGTH,
  description:
    'Case-insensitive regular expression (RE2 syntax: no back-references or lookarounds) searched in the column',
});

const Body = Type.Object(
  {
    filters: Type.Optional(
      Type.Object(
        {
          account_id: Type.Optional(Pattern),
          account_name: Type.Optional(Pattern),
          arn: Type.Optional(Pattern),
          technology: Type.Optional(Pattern),
        },
        { additionalProperties: false },
      ),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 1000 })),
  },
  { additionalProperties: false },
);

const Row = Type.Object({
  account_id: Type.String(),
  account_name: Type.String(),
  arn: Type.String(),
  technology: Type.String({
    description: 'AWS::IAM::Role, managed_policy, AWS::S3::Bucket… or the AWS Config type',
  }),
  templated: Type.Boolean(),
  errors: Type.Integer(),
  last_seen: Type.String({ format: 'date-time' }),
});

const Response = Type.Object({
  totalCount: Type.Integer({ description: 'Resources in the cache' }),
  filteredCount: Type.Integer({
    description: 'Resources matching the filters (data holds at most `limit` of them)',
  }),
  data: Type.Array(Row),
});

/**
 * `POST /api/v2/policies`: ConsoleMe's resource table over every cached resource, in ARN order. The
 * scan paces itself (see createScanBudget), so a filter over a large inventory delays no other request.
 */
export function registerListPoliciesRoute(app: GatewayApp, deps: RouteDeps): void {
  app.post(
    '/api/v2/policies',
    {
      schema: {
        tags: ['resources'],
        summary: 'Filter the table of every cached resource (ConsoleMe compatible)',
        body: Body,
        response: { 200: Response, ...commonErrors },
      },
    },
    async (request) => {
      const limit = request.body.limit ?? 1000;
      const matches = compilePolicyFilters(request.body.filters ?? {});
      const budget = createScanBudget({ maxMs: deps.limits.filterBudgetMs });
      const view = await deps.catalog.view();
      const data: PolicyRow[] = [];
      let totalCount = 0;
      let filteredCount = 0;
      for await (const summaries of everySummary(deps.readModel, view.index, deps.limits.chunkSize)) {
        for (const summary of summaries) {
          if (!summary) continue;
          await budget.spend();
          totalCount += 1;
          const row = toPolicyRow(view.freshen(summary), view.accountName);
          if (!matches(row)) continue;
          filteredCount += 1;
          if (data.length < limit) data.push(row);
        }
      }
      return { totalCount, filteredCount, data };
    },
  );
}
