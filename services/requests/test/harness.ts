import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { awsClientConfig, ensureTables, tableNames, tablesOwnedBy } from '@rolecall/shared/aws';
import type { ChangeModel, ExtendedRequestModel, RequestStatus } from '@rolecall/shared/contracts';
import { MOTO_CREDENTIALS, type TestEnvironment } from '@rolecall/testing';

export const REGION = 'us-east-1';

export const awsOptions = (env: TestEnvironment) => ({
  region: REGION,
  endpointUrl: env.moto.url,
  credentials: MOTO_CREDENTIALS,
});

/** A document client on moto and the requests table of a fresh prefix, created as the service does. */
export async function requestsTable(env: TestEnvironment) {
  const dynamo = new DynamoDBClient(awsClientConfig('dynamodb', awsOptions(env)));
  const prefix = `t${randomUUID().slice(0, 8)}_`;
  await ensureTables(dynamo, prefix, tablesOwnedBy('requests'));
  const doc = DynamoDBDocumentClient.from(dynamo, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
  return { dynamo, doc, tableName: tableNames(prefix).requests };
}

const ACCOUNT = '111111111111';

/** A request as the domain would save it; `changes` default to one inline policy on a role. */
export function aRequest(
  overrides: Partial<Omit<ExtendedRequestModel, 'changes'>> & { changes?: ChangeModel[] } = {},
): ExtendedRequestModel {
  const { changes, ...rest } = overrides;
  const id = rest.id ?? randomUUID();
  const principal = {
    principal_type: 'AwsResource' as const,
    principal_arn: `arn:aws:iam::${ACCOUNT}:role/app`,
  };
  const at = rest.timestamp ?? new Date().toISOString();
  const request: ExtendedRequestModel = {
    id,
    version: 1,
    principal,
    timestamp: at,
    justification: 'to read the orders bucket',
    requester_email: 'alice@example.com',
    approvers: [],
    request_status: 'pending' satisfies RequestStatus,
    cross_account: false,
    admin_auto_approve: false,
    changes: {
      changes: changes ?? [
        {
          change_type: 'inline_policy',
          principal,
          id: `${id}0`,
          action: 'attach',
          policy_name: 'orders-read',
          policy: {
            policy_document: {
              Version: '2012-10-17',
              Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::orders/*' }],
            },
          },
          status: 'not_applied',
        },
      ],
    },
    requester_info: { email: rest.requester_email ?? 'alice@example.com' },
    comments: [],
    approvals: [],
    last_updated: at,
    ...rest,
  };
  return request;
}

/** The request after one saved step: version + 1, with the fields given. */
export const nextVersion = (request: ExtendedRequestModel, fields: Partial<ExtendedRequestModel> = {}) => ({
  ...request,
  ...fields,
  version: request.version + 1,
  last_updated: new Date().toISOString(),
});
