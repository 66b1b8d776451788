import {
  GetCommand,
  paginatedBatchGet,
  PutCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { isAwsErrorNamed, scanTable, type TableNames, translateAwsError } from '@rolecall/shared/aws';
import { CrawlTypes, type AccountsDiscovery } from '@rolecall/shared/contracts';
import { crawlStatusId, type StatusRecord } from '../domain/crawl-status.js';
import type { CrawlStateStore } from '../domain/ports.js';

const isConditionFailure = (error: unknown) => isAwsErrorNamed(error, 'ConditionalCheckFailedException');
// Built from the catalogue of crawl types (a hand-written [a-z]+ once missed `s3`).
const STATUS_ID = new RegExp(`^\\d{12}:(${CrawlTypes.join('|')})$`);
const DISCOVERY_ID = 'discovery';
/** Batch bookkeeping is only needed while a job runs; a TTL attribute lets DynamoDB drop it later. */
const JOB_RECORD_TTL_SECONDS = 7 * 24 * 3600;
const BATCH_GET_LIMIT = 100;
const batchId = (jobKey: string, seq: number) => `job#${jobKey}#${seq}`;

/** Crawl status, batch progress and the discovery mark, all in the crawl status table (key `id`). */
export function createDynamoCrawlStateStore(options: {
  doc: DynamoDBDocumentClient;
  tables: TableNames;
}): CrawlStateStore {
  const { doc } = options;
  const TableName = options.tables.crawlStatus;
  const fail = (error: unknown, operation: string) =>
    translateAwsError(error, { operation, table: TableName });

  const strip = (item: Record<string, unknown>): StatusRecord => {
    const record = { ...item };
    delete record.id;
    return record as unknown as StatusRecord;
  };

  return {
    async getStatus(accountId, crawlType) {
      try {
        const result = await doc.send(
          new GetCommand({
            TableName,
            Key: { id: crawlStatusId(accountId, crawlType) },
            ConsistentRead: true,
          }),
        );
        return result.Item ? strip(result.Item) : undefined;
      } catch (error) {
        throw fail(error, 'DynamoDB GetItem');
      }
    },

    async putStatus(record, expectedRevision) {
      try {
        await doc.send(
          new PutCommand({
            TableName,
            Item: { id: crawlStatusId(record.accountId, record.crawlType), ...record },
            ...(expectedRevision === 0
              ? {
                  ConditionExpression: 'attribute_not_exists(#id) OR #revision = :zero',
                  ExpressionAttributeNames: { '#id': 'id', '#revision': 'revision' },
                  ExpressionAttributeValues: { ':zero': 0 },
                }
              : {
                  ConditionExpression: '#revision = :expected',
                  ExpressionAttributeNames: { '#revision': 'revision' },
                  ExpressionAttributeValues: { ':expected': expectedRevision },
                }),
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw fail(error, 'DynamoDB PutItem');
      }
    },

    async listStatuses() {
      const records: StatusRecord[] = [];
      try {
        for await (const page of scanTable(doc, TableName)) {
          for (const item of page) {
            if (typeof item.id === 'string' && STATUS_ID.test(item.id)) records.push(strip(item));
          }
        }
      } catch (error) {
        throw fail(error, 'DynamoDB Scan');
      }
      return records;
    },

    // One item per batch rather than a set on one item: concurrent updates of a single item are
    // atomic in DynamoDB but not in every emulator, and separate items need no such guarantee.
    async recordBatch(jobKey, seq) {
      try {
        await doc.send(
          new PutCommand({
            TableName,
            Item: {
              id: batchId(jobKey, seq),
              expiresAt: Math.floor(Date.now() / 1000) + JOB_RECORD_TTL_SECONDS,
            },
          }),
        );
      } catch (error) {
        throw fail(error, 'DynamoDB PutItem');
      }
    },

    async recordedBatches(jobKey, batchCount) {
      const recorded: number[] = [];
      try {
        for (let first = 0; first < batchCount; first += BATCH_GET_LIMIT) {
          const keys: Record<string, unknown>[] = [];
          for (let seq = first; seq < Math.min(batchCount, first + BATCH_GET_LIMIT); seq += 1) {
            keys.push({ id: batchId(jobKey, seq) });
          }
          // Asks again for the keys a response leaves unprocessed until none are left.
          const responses = paginatedBatchGet(
            { client: doc },
            { RequestItems: { [TableName]: { Keys: keys, ConsistentRead: true } } },
          );
          for await (const result of responses) {
            for (const item of result.Responses?.[TableName] ?? []) {
              recorded.push(Number(String(item.id).slice(String(item.id).lastIndexOf('#') + 1)));
            }
          }
        }
      } catch (error) {
        throw fail(error, 'DynamoDB BatchGetItem');
      }
      return recorded;
    },

    async claimDiscovery(discovery) {
      try {
        await doc.send(
          new PutCommand({
            TableName,
            Item: { id: DISCOVERY_ID, ...discovery },
            ConditionExpression: 'attribute_not_exists(#at) OR #at <= :at',
            ExpressionAttributeNames: { '#at': 'discoveredAt' },
            ExpressionAttributeValues: { ':at': discovery.discoveredAt },
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw fail(error, 'DynamoDB PutItem');
      }
    },

    async currentDiscovery() {
      try {
        const result = await doc.send(
          new GetCommand({ TableName, Key: { id: DISCOVERY_ID }, ConsistentRead: true }),
        );
        if (!result.Item) return undefined;
        const { discoveryId, source, discoveredAt, accounts } = result.Item as AccountsDiscovery;
        return { discoveryId, source, discoveredAt, accounts };
      } catch (error) {
        throw fail(error, 'DynamoDB GetItem');
      }
    },
  };
}
