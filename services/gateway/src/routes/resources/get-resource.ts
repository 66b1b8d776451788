import { AppError } from '@rolecall/shared/errors';
import { LiteralUnion } from '@rolecall/shared/contracts';
import { Type } from 'typebox';
import { RESOURCE_KINDS, resourceArnFromPath, toResourceModel } from '../../domain/consoleme-shapes.js';
import type { GatewayApp, RouteDeps } from '../deps.js';
import { AccountIdString, ErrorBody, commonErrors } from '../schemas.js';

const Params = Type.Object({
  accountId: AccountIdString,
  kind: LiteralUnion(RESOURCE_KINDS),
  '*': Type.String({
    maxLength: 2048,
    description: 's3: <bucket>; sqs, sns: <region>/<name>; managed_policy: <path...>/<name>',
  }),
});

const Resource = Type.Object({
  arn: Type.String(),
  resource_details: Type.Object(
    {
      Policy: Type.Unknown({ description: 'The resource policy document, or null when none is set' }),
      TagSet: Type.Array(Type.Object({ Key: Type.String(), Value: Type.String() })),
    },
    {
      additionalProperties: true,
      description: 'Policy, TagSet and the service attributes the crawler recorded',
    },
  ),
  account_id: Type.String(),
  account_name: Type.String(),
  read_only: Type.Boolean(),
  last_seen: Type.String({ format: 'date-time' }),
  last_crawl_id: Type.String(),
});

/** `GET /api/v2/resources/{accountId}/{s3|sqs|sns|managed_policy}/...`: a cached resource's policy and tags. */
export function registerGetResourceRoute(app: GatewayApp, deps: RouteDeps): void {
  app.get(
    '/api/v2/resources/:accountId/:kind/*',
    {
      schema: {
        tags: ['resources'],
        summary: 'One cached S3 bucket, SQS queue, SNS topic or managed policy (ConsoleMe compatible)',
        params: Params,
        response: { 200: Resource, 404: ErrorBody, ...commonErrors },
      },
    },
    async (request) => {
      const { accountId, kind } = request.params;
      const address = resourceArnFromPath(accountId, kind, request.params['*']);
      if (!address.ok) {
        throw new AppError('INVALID_ARN', `${request.url.split('?')[0] ?? ''}: ${address.problem}`);
      }
      const [item, view] = await Promise.all([deps.readModel.getItem(address.arn), deps.catalog.view()]);
      if (!item || item.itemType !== address.itemType || item.accountId !== accountId) {
        throw new AppError('NOT_FOUND', `${address.arn} is not in the cache for account ${accountId}`, {
          context: { arn: address.arn, accountId },
        });
      }
      return toResourceModel(item, view.accountName(accountId));
    },
  );
}
