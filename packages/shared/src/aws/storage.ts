import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { CreateBucketCommand, HeadBucketCommand, type BucketLocationConstraint } from '@aws-sdk/client-s3';

/**
 * The durable tables. Items of one (account, crawl type) share a partition, so a crawl's sweep is one
 * Query; the sort key is the ARN.
 */
export const tableNames = (prefix: string) => ({
  roles: `${prefix}iam_roles`,
  resources: `${prefix}resources`,
  crawlStatus: `${prefix}crawl_status`,
  accounts: `${prefix}accounts`,
  /** Dynamic config: item `master` and one `history#<updatedAt>` item per replaced version. */
  dynamicConfig: `${prefix}dynamic_config`,
  /** Credential audit events, queried by user, by role or by month (see AUDIT_INDEXES). */
  audit: `${prefix}audit`,
});
export type TableNames = ReturnType<typeof tableNames>;

const PARTITIONED: Omit<CreateTableCommandInput, 'TableName'> = {
  AttributeDefinitions: [
    { AttributeName: 'partition', AttributeType: 'S' },
    { AttributeName: 'arn', AttributeType: 'S' },
  ],
  KeySchema: [
    { AttributeName: 'partition', KeyType: 'HASH' },
    { AttributeName: 'arn', KeyType: 'RANGE' },
  ],
  BillingMode: 'PAY_PER_REQUEST',
};
const BY_ID: Omit<CreateTableCommandInput, 'TableName'> = {
  AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
  KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
  BillingMode: 'PAY_PER_REQUEST',
};

/**
 * Secondary indexes of the audit table. Every index sorts by `atId` (`<ISO time>#<event id>`), so "since"
 * is a key condition and a cursor is the last key read; `month` (YYYY-MM) serves queries with neither
 * user nor role without a scan.
 */
export const AUDIT_INDEXES = { byUser: 'by-user', byRole: 'by-role', byMonth: 'by-month' } as const;

const auditIndex = (name: string, hashKey: string) => ({
  IndexName: name,
  KeySchema: [
    { AttributeName: hashKey, KeyType: 'HASH' as const },
    { AttributeName: 'atId', KeyType: 'RANGE' as const },
  ],
  Projection: { ProjectionType: 'ALL' as const },
});

const AUDIT: Omit<CreateTableCommandInput, 'TableName'> = {
  AttributeDefinitions: [
    { AttributeName: 'id', AttributeType: 'S' },
    { AttributeName: 'user', AttributeType: 'S' },
    { AttributeName: 'roleKey', AttributeType: 'S' },
    { AttributeName: 'month', AttributeType: 'S' },
    { AttributeName: 'atId', AttributeType: 'S' },
  ],
  KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
  GlobalSecondaryIndexes: [
    auditIndex(AUDIT_INDEXES.byUser, 'user'),
    auditIndex(AUDIT_INDEXES.byRole, 'roleKey'),
    auditIndex(AUDIT_INDEXES.byMonth, 'month'),
  ],
  BillingMode: 'PAY_PER_REQUEST',
};

export function tableDefinitions(prefix: string): CreateTableCommandInput[] {
  const names = tableNames(prefix);
  return [
    { TableName: names.roles, ...PARTITIONED },
    { TableName: names.resources, ...PARTITIONED },
    { TableName: names.crawlStatus, ...BY_ID },
    { TableName: names.accounts, ...BY_ID },
    { TableName: names.dynamicConfig, ...BY_ID },
    { TableName: names.audit, ...AUDIT },
  ];
}

/** Creates whatever table is missing; safe to run from several processes at once. */
export async function ensureTables(dynamo: DynamoDBClient, prefix: string): Promise<void> {
  for (const definition of tableDefinitions(prefix)) {
    try {
      await dynamo.send(new DescribeTableCommand({ TableName: definition.TableName }));
      continue;
    } catch (error) {
      if ((error as Error).name !== 'ResourceNotFoundException') throw error;
    }
    try {
      await dynamo.send(new CreateTableCommand(definition));
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
    }
  }
}

export async function ensureBucket(s3: S3Client, bucket: string, region: string): Promise<void> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    return;
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status !== 404 && (error as Error).name !== 'NotFound') throw error;
  }
  try {
    await s3.send(
      new CreateBucketCommand({
        Bucket: bucket,
        ...(region === 'us-east-1'
          ? {}
          : { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } }),
      }),
    );
  } catch (error) {
    if (!['BucketAlreadyOwnedByYou', 'BucketAlreadyExists'].includes((error as Error).name)) throw error;
  }
}
