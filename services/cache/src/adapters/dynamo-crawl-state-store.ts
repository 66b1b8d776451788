import { gunzipSync, gzipSync } from 'node:zlib';
import {
  GetCommand,
  paginatedBatchGet,
  PutCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { isAwsErrorNamed, scanTable, type TableNames, translateAwsError } from '@rolecall/shared/aws';
import { CrawlTypes, type AccountsDiscovery } from '@rolecall/shared/contracts';
import { crawlStatusId, fenceId, fenceToken, type StatusRecord } from '../domain/crawl-status.js';
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

    async claimFence(fence) {
      const Key = { id: fenceId(fence.accountId, fence.crawlType) };
      const token = fenceToken(fence);
      for (;;) {
        let stored: string | undefined;
        try {
          const result = await doc.send(new GetCommand({ TableName, Key, ConsistentRead: true }));
          stored = result.Item?.token as string | undefined;
        } catch (error) {
          throw fail(error, 'DynamoDB GetItem');
        }
        if (stored !== undefined && stored > token) return 'superseded';
        // Every batch after a crawl's first finds the fence raised: a read, no write.
        if (stored === token) return 'current';
        try {
          await doc.send(
            new UpdateCommand({
              TableName,
              Key,
              UpdateExpression: 'SET #token = :token',
              ConditionExpression: 'attribute_not_exists(#token) OR #token < :token',
              ExpressionAttributeNames: { '#token': 'token' },
              ExpressionAttributeValues: { ':token': token },
            }),
          );
          return 'current';
        } catch (error) {
          // Raised meanwhile, by another batch of this crawl or by a newer one: read which.
          if (!isConditionFailure(error)) throw fail(error, 'DynamoDB UpdateItem');
        }
      }
    },

    // One item per batch rather than a set on one item: concurrent updates of a single item are
    // atomic in DynamoDB but not in every emulator, and separate items need no such guarantee. The
    // ARNs are gzipped JSON: they share long prefixes, so a batch of 100 takes about a kilobyte.
    async recordBatch(jobKey, seq, seen) {
      try {
        await doc.send(
          new PutCommand({
            TableName,
            Item: {
              id: batchId(jobKey, seq),
              seen: gzipSync(JSON.stringify(seen)),
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
      const seen = new Set<string>();
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
              if (item.seen instanceof Uint8Array) {
                for (const arn of JSON.parse(gunzipSync(item.seen).toString('utf8')) as string[])
                  seen.add(arn);
              }
            }
          }
        }
      } catch (error) {
        throw fail(error, 'DynamoDB BatchGetItem');
      }
      return { seqs: recorded, seen };
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
