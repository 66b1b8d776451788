import {
  BatchGetCommand,
  DeleteCommand,
  GetCommand,
  TransactWriteCommand,
  type DynamoDBDocumentClient,
  type TransactWriteCommandInput,
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
import { AppError } from '@rolecall/shared/errors';
import { fenceId, fenceToken } from '../domain/crawl-status.js';
import type { Fence, ItemStore, WriteOutcome } from '../domain/ports.js';
import {
  headOfStored,
  itemTypesOf,
  partitionKey,
  tableKindOf,
  type ItemHead,
  type StoredItem,
} from '../domain/stored-item.js';

/** Rows of the item tables hold StoredItems (see toItemRow): the cache is their only writer. */
async function* asItemPages(pages: AsyncIterable<Record<string, unknown>[]>): AsyncIterable<StoredItem[]> {
  for await (const rows of pages) yield rows.map((row) => fromItemRow<StoredItem>(row));
}

/**
 * The row's plain `head` attribute: what a recrawl decides from, in one string. One attribute rather than
 * four matters more than its size suggests: reads are priced (and, in moto, serialised) per attribute
 * returned, and a recrawl reads the head of every item twice (its batch, then the sweep).
 */
const headOf = (item: StoredItem) =>
  [item.seenAt, item.contentHash, item.itemType, item.changedByJob ?? ''].join(' ');

/** The head a projected row holds; undefined for a row written before heads (read it whole instead). */
function parseHead(row: Record<string, unknown>, partition: string): ItemHead | undefined {
  if (typeof row.head !== 'string') return undefined;
  const [seenAt = '', contentHash = '', itemType = '', changedByJob = ''] = row.head.split(' ');
  return {
    partition,
    arn: String(row.arn),
    itemType: itemType as ItemType,
    seenAt,
    contentHash,
    ...(changedByJob !== '' ? { changedByJob } : {}),
    ...(typeof row.deletedByJob === 'string' ? { deletedByJob: row.deletedByJob } : {}),
  };
}

const isConditionFailure = (error: unknown) => isAwsErrorNamed(error, 'ConditionalCheckFailedException');

/** The row of an item: `toItemRow`'s layout plus its head, so a recrawl can leave every body behind. */
const rowOf = (item: StoredItem) => ({ ...toItemRow(item), head: headOf(item) });

type TransactWritePut = NonNullable<NonNullable<TransactWriteCommandInput['TransactItems']>[number]['Put']>;
interface RowWrite {
  item: StoredItem;
  row: ReturnType<typeof rowOf>;
}

const HEAD_NAMES = { '#arn': 'arn', '#head': 'head', '#deletedByJob': 'deletedByJob' };
const HEAD_PROJECTION = Object.keys(HEAD_NAMES).join(', ');

/** TransactWriteItems takes 100 actions (one is the fence check) and 4 MB; a margin is kept below the latter. */
const TRANSACT_ITEMS = 99;
const TRANSACT_BYTES = 3_500_000;
const MAX_ROUNDS = 10;

const backoff = (round: number) => new Promise((r) => setTimeout(r, Math.min(50 * 2 ** round, 2000)));

/** The cancellation reason codes of a cancelled transaction, one per action; undefined for other errors. */
function cancellationCodes(error: unknown): string[] | undefined {
  if (!isAwsErrorNamed(error, 'TransactionCanceledException')) return undefined;
  const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
  return reasons.map((reason) => reason.Code ?? 'None');
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

  /** The transaction action that holds every write of a crawl to the partition's fence. */
  const fenceCheck = (fence: Fence) => ({
    ConditionCheck: {
      TableName: tables.crawlStatus,
      Key: { id: fenceId(fence.accountId, fence.crawlType) },
      ConditionExpression: '#token <= :token',
      ExpressionAttributeNames: { '#token': 'token' },
      ExpressionAttributeValues: { ':token': fenceToken(fence) },
    },
  });

  const putAction = ({ item, row }: RowWrite): { Put: TransactWritePut } => ({
    Put: { TableName: tableOf(item.itemType), Item: row },
  });

  /** Reads keys of one partition, 100 a request; keys a response leaves unprocessed are asked again after a backoff. */
  async function batchGet(
    partition: string,
    wanted: readonly { itemType: ItemType; arn: string }[],
    projection: boolean,
    take: (row: Record<string, unknown>) => void,
  ): Promise<void> {
    type Request = Record<
      string,
      {
        Keys: Record<string, unknown>[];
        ConsistentRead: boolean;
        ProjectionExpression?: string;
        ExpressionAttributeNames?: Record<string, string>;
      }
    >;
    for (let start = 0; start < wanted.length; start += 100) {
      let request: Request = {};
      for (const { itemType, arn } of wanted.slice(start, start + 100)) {
        const table = tableOf(itemType);
        (request[table] ??= {
          Keys: [],
          ConsistentRead: true,
          ...(projection
            ? { ProjectionExpression: HEAD_PROJECTION, ExpressionAttributeNames: HEAD_NAMES }
            : {}),
        }).Keys.push({ partition, arn });
      }
      for (let round = 0; Object.keys(request).length > 0; round += 1) {
        if (round > 0) await backoff(round);
        const result = await call('DynamoDB BatchGetItem', () =>
          doc.send(new BatchGetCommand({ RequestItems: request })),
        );
        for (const rows of Object.values(result.Responses ?? {})) for (const row of rows) take(row);
        request = (result.UnprocessedKeys ?? {}) as Request;
      }
    }
  }

  async function getMany(partition: string, wanted: readonly { itemType: ItemType; arn: string }[]) {
    const found = new Map<string, StoredItem>();
    await batchGet(partition, wanted, false, (row) =>
      found.set(String(row.arn), fromItemRow<StoredItem>(row)),
    );
    return found;
  }

  /** Groups writes, with their rows, into transactions within DynamoDB's limits on actions and bytes. */
  function chunksOf(items: readonly StoredItem[]): RowWrite[][] {
    const chunks: RowWrite[][] = [];
    let chunk: RowWrite[] = [];
    let bytes = 0;
    for (const item of items) {
      const write = { item, row: rowOf(item) };
      const size = write.row.body.byteLength + 2048;
      if (chunk.length > 0 && (chunk.length >= TRANSACT_ITEMS || bytes + size > TRANSACT_BYTES)) {
        chunks.push(chunk);
        chunk = [];
        bytes = 0;
      }
      chunk.push(write);
      bytes += size;
    }
    if (chunk.length > 0) chunks.push(chunk);
    return chunks;
  }

  return {
    async get(itemType, partition, arn) {
      const result = await call('DynamoDB GetItem', () =>
        doc.send(
          new GetCommand({ TableName: tableOf(itemType), Key: { partition, arn }, ConsistentRead: true }),
        ),
      );
      return result.Item ? fromItemRow<StoredItem>(result.Item) : undefined;
    },

    getMany,

    async getHeads(partition, wanted) {
      const found = new Map<string, ItemHead>();
      const legacy: { itemType: ItemType; arn: string }[] = [];
      await batchGet(partition, wanted, true, (row) => {
        const head = parseHead(row, partition);
        if (head) found.set(head.arn, head);
        else
          legacy.push(
            wanted.find((w) => w.arn === row.arn) ?? { itemType: 'iam_role', arn: String(row.arn) },
          );
      });
      if (legacy.length > 0) {
        for (const item of (await getMany(partition, legacy)).values())
          found.set(item.arn, headOfStored(item));
      }
      return found;
    },

    /**
     * One TransactWriteItems per chunk: the fence check and the chunk's Puts. A cancelled transaction wrote
     * nothing; its first reason says whether the fence moved (stop), else another transaction held one of
     * its items at that moment (DynamoDB's TransactionConflict: try again after a backoff).
     */
    async writeAll(items, fence) {
      const outcome: WriteOutcome = { written: [], fenced: false };
      for (const chunk of chunksOf(items)) {
        for (let round = 0; ; round += 1) {
          if (round >= MAX_ROUNDS) {
            throw new AppError('CONFLICT', 'DynamoDB transactions on these items kept conflicting', {
              retryable: true,
            });
          }
          if (round > 0) await backoff(round);
          try {
            await doc.send(
              new TransactWriteCommand({ TransactItems: [fenceCheck(fence), ...chunk.map(putAction)] }),
            );
            outcome.written.push(...chunk.map((write) => write.item));
            break;
          } catch (error) {
            const codes = cancellationCodes(error);
            if (!codes) throw translateAwsError(error, { operation: 'DynamoDB TransactWriteItems' });
            if (codes[0] === 'ConditionalCheckFailed') {
              outcome.fenced = true;
              return outcome;
            }
          }
        }
      }
      return outcome;
    },

    async *queryPartition(accountId: string, crawlType: CrawlType, itemTypes = itemTypesOf(crawlType)) {
      const partition = partitionKey(accountId, crawlType);
      for (const table of [tables.roles, tables.resources]) {
        if (!itemTypes.some((itemType) => tableOf(itemType) === table)) continue;
        // The item and whether it is being deleted; the bookkeeping attributes stay behind (fewer to read).
        yield* asItemPages(
          queryPages(doc, {
            TableName: table,
            KeyConditionExpression: '#p = :p',
            ProjectionExpression: '#arn, #itemType, #body, #deletedByJob',
            ExpressionAttributeNames: {
              '#p': 'partition',
              '#arn': 'arn',
              '#itemType': 'itemType',
              '#body': 'body',
              '#deletedByJob': 'deletedByJob',
            },
            ExpressionAttributeValues: { ':p': partition },
            ConsistentRead: true,
          }),
        );
      }
    },

    async *queryHeads(accountId: string, crawlType: CrawlType) {
      const partition = partitionKey(accountId, crawlType);
      for (const table of [tables.roles, tables.resources]) {
        const pages = queryPages(doc, {
          TableName: table,
          KeyConditionExpression: '#partition = :p',
          ProjectionExpression: HEAD_PROJECTION,
          ExpressionAttributeNames: { ...HEAD_NAMES, '#partition': 'partition' },
          ExpressionAttributeValues: { ':p': partition },
          ConsistentRead: true,
        });
        for await (const rows of pages) {
          const heads: ItemHead[] = [];
          for (const row of rows) {
            const head = parseHead(row, partition);
            if (head) heads.push(head);
            else {
              const whole = await call('DynamoDB GetItem', () =>
                doc.send(
                  new GetCommand({
                    TableName: table,
                    Key: { partition, arn: row.arn },
                    ConsistentRead: true,
                  }),
                ),
              );
              if (whole.Item) heads.push(headOfStored(fromItemRow<StoredItem>(whole.Item)));
            }
          }
          yield heads;
        }
      }
    },

    async tombstone(item, jobId, fence) {
      try {
        await doc.send(
          new TransactWriteCommand({
            TransactItems: [
              fenceCheck(fence),
              {
                Update: {
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
                  ExpressionAttributeValues: { ':job': jobId, ':before': fence.startedAt },
                },
              },
            ],
          }),
        );
        return 'tombstoned';
      } catch (error) {
        const codes = cancellationCodes(error);
        if (!codes)
          throw translateAwsError(error, { operation: 'DynamoDB TransactWriteItems', arn: item.arn });
        if (codes[0] === 'ConditionalCheckFailed') return 'fenced';
        if (codes[1] === 'ConditionalCheckFailed') return 'changed';
        // A concurrent transaction on the item: the message is handled again.
        throw new AppError('CONFLICT', `a concurrent transaction held ${item.arn}`, {
          retryable: true,
          cause: error,
        });
      }
    },

    async deleteTombstoned(item, jobId, before) {
      // A failed condition means gone already (a redelivered sweep) or seen again by a newer crawl: both
      // leave it right.
      try {
        await doc.send(
          new DeleteCommand({
            TableName: tableOf(item.itemType),
            Key: { partition: item.partition, arn: item.arn },
            ConditionExpression: '#deletedByJob = :job AND #seenAt < :before',
            ExpressionAttributeNames: { '#deletedByJob': 'deletedByJob', '#seenAt': 'seenAt' },
            ExpressionAttributeValues: { ':job': jobId, ':before': before },
          }),
        );
      } catch (error) {
        if (!isConditionFailure(error))
          throw translateAwsError(error, { operation: 'DynamoDB DeleteItem', arn: item.arn });
      }
    },

    async *scanAll() {
      for (const table of [tables.roles, tables.resources]) {
        yield* asItemPages(scanPages(doc, { TableName: table, ConsistentRead: true }));
      }
    },
  };
}
