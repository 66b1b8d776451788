import { setTimeout as sleep } from 'node:timers/promises';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { CreateBucketCommand, HeadBucketCommand, type BucketLocationConstraint } from '@aws-sdk/client-s3';
import type { Logger } from '../log/index.js';
import { isAwsErrorNamed, translateAwsError } from './translate-aws-error.js';

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
  /**
   * Policy requests (services/requests): per request id, the request (`sk` = `request`), its history
   * (`history#…`) and its expiry claims (`expiry#<change id>`); see REQUEST_INDEXES.
   */
  requests: `${prefix}requests`,
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

/**
 * Secondary indexes of the requests table. All are sparse: only the request row carries their keys, so
 * history and claim rows stay out. Each sorts by `createdAtId` (`<ISO time>#<id>`, newest first when
 * read backwards) except `byExpiry`, which holds only requests with an applied change still to expire,
 * sorted by the earliest such expiry: the expiry sweep is one key-range Query of what is due.
 */
export const REQUEST_INDEXES = {
  /** Every request (`listKey` is the constant `request`). */
  all: 'by-created',
  byStatus: 'by-status',
  byRequester: 'by-requester',
  byExpiry: 'by-next-expiry',
} as const;

const requestIndex = (name: string, hashKey: string, rangeKey = 'createdAtId') => ({
  IndexName: name,
  KeySchema: [
    { AttributeName: hashKey, KeyType: 'HASH' as const },
    { AttributeName: rangeKey, KeyType: 'RANGE' as const },
  ],
  Projection: { ProjectionType: 'ALL' as const },
});

const REQUESTS: Omit<CreateTableCommandInput, 'TableName'> = {
  AttributeDefinitions: [
    { AttributeName: 'id', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: 'S' },
    { AttributeName: 'listKey', AttributeType: 'S' },
    { AttributeName: 'requestStatus', AttributeType: 'S' },
    { AttributeName: 'requester', AttributeType: 'S' },
    { AttributeName: 'createdAtId', AttributeType: 'S' },
    { AttributeName: 'expiryKey', AttributeType: 'S' },
    { AttributeName: 'nextExpiryAt', AttributeType: 'S' },
  ],
  KeySchema: [
    { AttributeName: 'id', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
  GlobalSecondaryIndexes: [
    requestIndex(REQUEST_INDEXES.all, 'listKey'),
    requestIndex(REQUEST_INDEXES.byStatus, 'requestStatus'),
    requestIndex(REQUEST_INDEXES.byRequester, 'requester'),
    requestIndex(REQUEST_INDEXES.byExpiry, 'expiryKey', 'nextExpiryAt'),
  ],
  BillingMode: 'PAY_PER_REQUEST',
};

/** A table by its name in code (`roles`, `audit`, …), prefixed at run time by `tableNames`. */
export type TableKey = keyof TableNames;

/**
 * Which service creates each table at its start (the README's "Contracts and owners" table says the
 * same). A service creates only its own tables; one that reads another owner's waits for it
 * (`whenTablesExist`).
 */
export const TABLE_OWNERS = {
  roles: 'cache',
  resources: 'cache',
  crawlStatus: 'cache',
  accounts: 'cache',
  audit: 'broker',
  // The gateway saves it (the config API); the broker only reads it.
  dynamicConfig: 'gateway',
  requests: 'requests',
} as const satisfies Record<TableKey, string>;
export type TableOwner = (typeof TABLE_OWNERS)[TableKey];

/** The tables `owner` creates at its start. */
export const tablesOwnedBy = (owner: TableOwner): TableKey[] =>
  (Object.keys(TABLE_OWNERS) as TableKey[]).filter((table) => TABLE_OWNERS[table] === owner);

const TABLE_SCHEMAS: Record<TableKey, Omit<CreateTableCommandInput, 'TableName'>> = {
  roles: PARTITIONED,
  resources: PARTITIONED,
  crawlStatus: BY_ID,
  accounts: BY_ID,
  dynamicConfig: BY_ID,
  audit: AUDIT,
  requests: REQUESTS,
};

/** The CreateTable input of each of `tables`. */
export function tableDefinitions(prefix: string, tables: readonly TableKey[]): CreateTableCommandInput[] {
  const names = tableNames(prefix);
  return tables.map((table) => ({ TableName: names[table], ...TABLE_SCHEMAS[table] }));
}

/**
 * Creates whichever of `tables` is missing; safe to run from several processes at once. A service passes
 * its own (`tablesOwnedBy('cache')`); tests and tools that need them all use `ensureAllTables`.
 */
export async function ensureTables(
  dynamo: DynamoDBClient,
  prefix: string,
  tables: readonly TableKey[],
): Promise<void> {
  for (const definition of tableDefinitions(prefix, tables)) {
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

/** Every table, as all the services together would create them: for tests and tools (the demo seed). */
export async function ensureAllTables(dynamo: DynamoDBClient, prefix: string): Promise<void> {
  await ensureTables(dynamo, prefix, Object.keys(TABLE_OWNERS) as TableKey[]);
}

const TABLE_WAIT_MS = 1_000;
/** While waiting, the log line is repeated this often, so a stuck start-up stays visible. */
const TABLE_WAIT_REMINDER_MS = 30_000;

/**
 * Returns once each of `tables` (another owner's) exists and is ACTIVE: a service that starts before the
 * owner waits for it, saying who creates it, instead of crashing on its first read. Any failure other
 * than "not found" is thrown (an AppError). Stops waiting when `signal` is aborted (an AbortError).
 */
export async function whenTablesExist(
  dynamo: DynamoDBClient,
  prefix: string,
  tables: readonly TableKey[],
  options: { log: Logger; signal?: AbortSignal; retryMs?: number },
): Promise<void> {
  const { log, signal } = options;
  const retryMs = options.retryMs ?? TABLE_WAIT_MS;
  const names = tableNames(prefix);
  for (const table of tables) {
    const tableName = names[table];
    const since = Date.now();
    let remindAt = 0;
    for (;;) {
      let status: string | undefined;
      try {
        const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: tableName }));
        status = Table?.TableStatus;
      } catch (error) {
        if (!isAwsErrorNamed(error, 'ResourceNotFoundException')) {
          throw translateAwsError(error, { operation: 'DynamoDB DescribeTable', table: tableName });
        }
      }
      if (status === 'ACTIVE') {
        if (remindAt > 0) {
          log.info(
            { table: tableName, waitedMs: Date.now() - since },
            `table ${tableName} exists now; going on`,
          );
        }
        break;
      }
      if (Date.now() >= remindAt) {
        const owner = TABLE_OWNERS[table];
        log.warn(
          { table: tableName, owner, status: status ?? 'missing', waitedMs: Date.now() - since },
          `table ${tableName} ${status ? `is ${status}` : 'does not exist yet'}; waiting for the ${owner} to create it at its start`,
        );
        remindAt = Date.now() + TABLE_WAIT_REMINDER_MS;
      }
      await sleep(retryMs, undefined, signal ? { signal } : {});
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
