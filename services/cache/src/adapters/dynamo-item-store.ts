import {
  BatchGetCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import {
  fromItemRow,
  isAwsErrorNamed,
  queryPages,
  scanPages,
  type TableNames,
  toItemRow,
  translateAwsError,
} from '@rolecall/shared/aws';
import type { CrawlType, ItemType } from '@rolecall/shared/contracts';
import type { ItemStore } from '../domain/ports.js';
import { partitionKey, tableKindOf, type StoredItem } from '../domain/stored-item.js';

/** Rows of the item tables hold StoredItems (see toItemRow): the cache is their only writer. */
async function* asItemPages(pages: AsyncIterable<Record<string, unknown>[]>): AsyncIterable<StoredItem[]> {
  for await (const rows of pages) yield rows.map((row) => fromItemRow<StoredItem>(row));
}

const isConditionFailure = (error: unknown) => isAwsErrorNamed(error, 'ConditionalCheckFailedException');

/** Sends a conditional write of one item: false when its condition no longer held, other failures translated. */
async function writeIf(
  write: () => Promise<unknown>,
  context: { operation: string; arn: string },
): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw translateAwsError(error, context);
  }
}

/** Items in the roles and resources tables, keyed (partition = account#crawlType, arn). */
export function createDynamoItemStore(options: {
  doc: DynamoDBDocumentClient;
  tables: TableNames;
}): ItemStore {
  const { doc, tables } = options;
  const tableOf = (itemType: ItemType) => tables[tableKindOf(itemType)];
  const call = async <T>(operation: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      throw translateAwsError(error, { operation });
    }
  };

  return {
    async get(itemType, partition, arn) {
      const result = await call('DynamoDB GetItem', () =>
        doc.send(
          new GetCommand({ TableName: tableOf(itemType), Key: { partition, arn }, ConsistentRead: true }),
        ),
      );
      return result.Item ? fromItemRow<StoredItem>(result.Item) : undefined;
    },

    async getMany(partition, wanted) {
      const found = new Map<string, StoredItem>();
      // BatchGetItem takes at most 100 keys; keys it could not serve come back and are asked again, after
      // a backoff AWS advises for them (lib-dynamodb's paginatedBatchGet asks again at once, so not it).
      for (let start = 0; start < wanted.length; start += 100) {
        let request: Record<string, { Keys: Record<string, unknown>[]; ConsistentRead: boolean }> = {};
        for (const { itemType, arn } of wanted.slice(start, start + 100)) {
          const table = tableOf(itemType);
          (request[table] ??= { Keys: [], ConsistentRead: true }).Keys.push({ partition, arn });
        }
        for (let round = 0; Object.keys(request).length > 0; round += 1) {
          if (round > 0) await new Promise((r) => setTimeout(r, Math.min(50 * 2 ** round, 2000)));
          const result = await call('DynamoDB BatchGetItem', () =>
            doc.send(new BatchGetCommand({ RequestItems: request })),
          );
          for (const rows of Object.values(result.Responses ?? {})) {
            for (const row of rows) found.set(String(row.arn), fromItemRow<StoredItem>(row));
          }
          request = (result.UnprocessedKeys ?? {}) as typeof request;
        }
      }
      return found;
    },

    put(item, expectedWriteId) {
      return writeIf(
        () =>
          doc.send(
            new PutCommand({
              TableName: tableOf(item.itemType),
              Item: toItemRow(item),
              ...(expectedWriteId === undefined
                ? {
                    ConditionExpression: 'attribute_not_exists(#arn)',
                    ExpressionAttributeNames: { '#arn': 'arn' },
                  }
                : {
                    // The seenAt test is what the write relies on; the writeId test catches any write
                    // made since the item was read.
                    ConditionExpression: '#writeId = :expected AND #seenAt <= :seenAt',
                    ExpressionAttributeNames: { '#writeId': 'writeId', '#seenAt': 'seenAt' },
                    ExpressionAttributeValues: { ':expected': expectedWriteId, ':seenAt': item.seenAt },
                  }),
            }),
          ),
        { operation: 'DynamoDB PutItem', arn: item.arn },
      );
    },

    async *queryPartition(accountId: string, crawlType: CrawlType) {
      const partition = partitionKey(accountId, crawlType);
      for (const table of [tables.roles, tables.resources]) {
        yield* asItemPages(
          queryPages(doc, {
            TableName: table,
            KeyConditionExpression: '#p = :p',
            ExpressionAttributeNames: { '#p': 'partition' },
            ExpressionAttributeValues: { ':p': partition },
            ConsistentRead: true,
          }),
        );
      }
    },

    tombstone(item, jobId, before) {
      return writeIf(
        () =>
          doc.send(
            new UpdateCommand({
              TableName: tableOf(item.itemType),
              Key: { partition: item.partition, arn: item.arn },
              UpdateExpression: 'SET #deletedByJob = :job',
              ConditionExpression:
                'attribute_exists(#arn) AND #seenAt < :before AND attribute_not_exists(#deletedByJob)',
              ExpressionAttributeNames: {
                '#deletedByJob': 'deletedByJob',
                '#seenAt': 'seenAt',
                '#arn': 'arn',
              },
              ExpressionAttributeValues: { ':job': jobId, ':before': before },
            }),
          ),
        { operation: 'DynamoDB UpdateItem', arn: item.arn },
      );
    },

    async deleteTombstoned(item, jobId, before) {
      // A failed condition means gone already (a redelivered sweep) or seen again by a newer crawl: both
      // leave it right.
      await writeIf(
        () =>
          doc.send(
            new DeleteCommand({
              TableName: tableOf(item.itemType),
              Key: { partition: item.partition, arn: item.arn },
              ConditionExpression: '#deletedByJob = :job AND #seenAt < :before',
              ExpressionAttributeNames: { '#deletedByJob': 'deletedByJob', '#seenAt': 'seenAt' },
              ExpressionAttributeValues: { ':job': jobId, ':before': before },
            }),
          ),
        { operation: 'DynamoDB DeleteItem', arn: item.arn },
      );
    },

    async *scanAll() {
      for (const table of [tables.roles, tables.resources]) {
        yield* asItemPages(scanPages(doc, { TableName: table, ConsistentRead: true }));
      }
    },
  };
}
