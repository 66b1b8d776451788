import { gunzipSync, gzipSync } from 'node:zlib';
import {
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { isAwsErrorNamed, queryPages, REQUEST_INDEXES, translateAwsError } from '@rolecall/shared/aws';
import type { ExtendedRequestModel, PolicyRequestHistoryItem } from '@rolecall/shared/contracts';
import { AppError } from '@rolecall/shared/errors';
import type { RequestListFilter, RequestPage, DueExpiry, RequestStore } from '../domain/ports.js';
export type { RequestListFilter, RequestPage, DueExpiry, RequestStore };

const REQUEST_SK = 'request';
const HISTORY_PREFIX = 'history#';
const LIST_KEY = 'request';
const EXPIRY_KEY = 'due';

type IndexKind = 'all' | 'status' | 'requester';
interface CursorState {
  i: IndexKind;
  k: Record<string, unknown>;
}

const encodeCursor = (state: CursorState) => Buffer.from(JSON.stringify(state)).toString('base64url');
function decodeCursor(cursor: string, kind: IndexKind): CursorState {
  try {
    const state = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as CursorState;
    if (state.i === kind && typeof state.k === 'object' && state.k !== null) return state;
  } catch {
    // Reported below, as a cursor of another query is.
  }
  throw new AppError('INVALID_CURSOR', 'cursor does not belong to this query; start again without it');
}

/** `history#<version, 10 digits>#<type>#<change id>`: sorts by version, and is the item's identity. */
export const historySortKey = (item: Pick<PolicyRequestHistoryItem, 'version' | 'type' | 'changeId'>) =>
  `${HISTORY_PREFIX}${String(item.version).padStart(10, '0')}#${item.type}#${item.changeId ?? ''}`;

/** The earliest expiry among applied changes that have one: what the expiry index sorts the request by. */
export function nextExpiryOf(request: ExtendedRequestModel): string | undefined {
  let next: number | undefined;
  for (const change of request.changes.changes) {
    if (change.status !== 'applied' || change.expires_at === undefined) continue;
    const at = Date.parse(change.expires_at);
    if (!Number.isNaN(at) && (next === undefined || at < next)) next = at;
  }
  return next === undefined ? undefined : new Date(next).toISOString();
}

function toRow(request: ExtendedRequestModel): Record<string, unknown> {
  const nextExpiryAt = nextExpiryOf(request);
  return {
    id: request.id,
    sk: REQUEST_SK,
    version: request.version,
    listKey: LIST_KEY,
    requestStatus: request.request_status,
    requester: request.requester_email,
    createdAtId: `${new Date(request.timestamp).toISOString()}#${request.id}`,
    // Only a request with a grant still to expire is in the (sparse) expiry index.
    ...(nextExpiryAt === undefined ? {} : { expiryKey: EXPIRY_KEY, nextExpiryAt }),
    body: gzipSync(JSON.stringify(request)),
  };
}

function fromRow(row: Record<string, unknown>): ExtendedRequestModel {
  const { body } = row;
  if (!(body instanceof Uint8Array)) {
    throw new AppError('INTERNAL', `stored request ${String(row.id)} has no binary body`);
  }
  return JSON.parse(gunzipSync(body).toString('utf8')) as ExtendedRequestModel;
}

const HISTORY_FIELDS = [
  'requestId',
  'kind',
  'type',
  'actor',
  'at',
  'version',
  'status',
  'principalArn',
  'changeId',
  'message',
] as const satisfies readonly (keyof PolicyRequestHistoryItem)[];

function historyOf(row: Record<string, unknown>): PolicyRequestHistoryItem {
  const item: Record<string, unknown> = {};
  for (const field of HISTORY_FIELDS) if (row[field] !== undefined) item[field] = row[field];
  return item as unknown as PolicyRequestHistoryItem;
}

/**
 * The request row's own condition failed: a plain put's, or the first item's of a transaction that
 * writes the request with its history (a history item is keyed by the new version, so only the
 * request's condition can fail there).
 */
const isConditionFailure = (error: unknown) =>
  isAwsErrorNamed(error, 'ConditionalCheckFailedException') ||
  (isAwsErrorNamed(error, 'TransactionCanceledException') &&
    (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons?.[0]?.Code ===
      'ConditionalCheckFailed');

/** The version an item returned with a failed condition had (ALL_OLD, still in DynamoDB's JSON). */
function versionOfOldItem(error: unknown): number | undefined {
  const item = (error as { Item?: Record<string, { N?: string } | number> }).Item;
  const version = item?.version;
  if (typeof version === 'number') return version;
  return version?.N === undefined ? undefined : Number(version.N);
}

/**
 * The requests table (`tableNames(prefix).requests`, owned by services/requests): partition key `id`,
 * sort key `sk`. The request is the row `sk = request`, its plain attributes being what DynamoDB
 * evaluates (version for the conditional write, the index keys) and the request itself one gzipped
 * JSON `body`, as the cache stores its items. History items are rows `history#…` under the same id, so
 * a request's history is one Query and appending is a conditional put per item.
 */
export function createDynamoRequestStore(options: {
  doc: DynamoDBDocumentClient;
  tableName: string;
}): RequestStore {
  const { doc, tableName } = options;
  const failed = (operation: string, error: unknown, context: Record<string, unknown> = {}) =>
    translateAwsError(error, { operation, table: tableName, ...context });

  const historyPut = (item: PolicyRequestHistoryItem) => ({
    TableName: tableName,
    Item: {
      ...Object.fromEntries(Object.entries(item).filter(([, value]) => value !== undefined)),
      id: item.requestId,
      sk: historySortKey(item),
    },
    ConditionExpression: 'attribute_not_exists(sk)',
  });

  /**
   * The request row and the history of the step that produced it, in one transaction: a saved step
   * always has its history, and a refused one writes neither.
   */
  const putWithHistory = async (
    requestPut: ConstructorParameters<typeof PutCommand>[0],
    history: readonly PolicyRequestHistoryItem[],
  ): Promise<void> => {
    if (history.length === 0) {
      await doc.send(new PutCommand(requestPut));
      return;
    }
    await doc.send(
      new TransactWriteCommand({
        TransactItems: [{ Put: requestPut }, ...history.map((item) => ({ Put: historyPut(item) }))],
      }),
    );
  };

  const readCurrentVersion = async (id: string): Promise<number | undefined> => {
    try {
      const result = await doc.send(
        new GetCommand({
          TableName: tableName,
          Key: { id, sk: REQUEST_SK },
          ConsistentRead: true,
          ProjectionExpression: 'version',
        }),
      );
      return result.Item ? Number(result.Item.version) : undefined;
    } catch (error) {
      throw failed('DynamoDB GetItem', error, { requestId: id });
    }
  };

  const queryIndex = (index: string, keyName: string, keyValue: string): QueryCommandInput => ({
    TableName: tableName,
    IndexName: index,
    KeyConditionExpression: '#key = :key',
    ExpressionAttributeNames: { '#key': keyName },
    ExpressionAttributeValues: { ':key': keyValue },
  });

  return {
    async get(id) {
      try {
        const result = await doc.send(
          new GetCommand({ TableName: tableName, Key: { id, sk: REQUEST_SK }, ConsistentRead: true }),
        );
        return result.Item ? fromRow(result.Item) : undefined;
      } catch (error) {
        throw failed('DynamoDB GetItem', error, { requestId: id });
      }
    },

    async create(request, history = []) {
      try {
        await putWithHistory(
          { TableName: tableName, Item: toRow(request), ConditionExpression: 'attribute_not_exists(id)' },
          history,
        );
      } catch (error) {
        if (isConditionFailure(error)) {
          throw new AppError('CONFLICT', `a request with id ${request.id} already exists`, {
            context: { requestId: request.id },
          });
        }
        throw failed('DynamoDB PutItem', error, { requestId: request.id });
      }
    },

    async update(request, expectedVersion, history = []) {
      if (request.version !== expectedVersion + 1) {
        throw new AppError(
          'INTERNAL',
          `request ${request.id} saved over version ${expectedVersion} must be version ${expectedVersion + 1}, not ${request.version}`,
        );
      }
      try {
        await putWithHistory(
          {
            TableName: tableName,
            Item: toRow(request),
            ConditionExpression: 'version = :expected',
            ExpressionAttributeValues: { ':expected': expectedVersion },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
          history,
        );
      } catch (error) {
        if (!isConditionFailure(error)) throw failed('DynamoDB PutItem', error, { requestId: request.id });
        const current = versionOfOldItem(error) ?? (await readCurrentVersion(request.id));
        if (current === undefined) {
          throw new AppError('NOT_FOUND', `request ${request.id} does not exist`, {
            context: { requestId: request.id },
          });
        }
        throw new AppError(
          'CONFLICT',
          `request ${request.id} is at version ${current}, not ${expectedVersion}: it changed since it was read; reload it and try again`,
          { context: { requestId: request.id, expectedVersion, currentVersion: current } },
        );
      }
    },

    async list(filter) {
      const kind: IndexKind = filter.requester ? 'requester' : filter.status ? 'status' : 'all';
      let startKey = filter.cursor ? decodeCursor(filter.cursor, kind).k : undefined;
      const input =
        kind === 'requester'
          ? queryIndex(REQUEST_INDEXES.byRequester, 'requester', filter.requester as string)
          : kind === 'status'
            ? queryIndex(REQUEST_INDEXES.byStatus, 'requestStatus', filter.status as string)
            : queryIndex(REQUEST_INDEXES.all, 'listKey', LIST_KEY);
      if (kind === 'requester' && filter.status) {
        input.FilterExpression = '#status = :status';
        input.ExpressionAttributeNames = { ...input.ExpressionAttributeNames, '#status': 'requestStatus' };
        input.ExpressionAttributeValues = { ...input.ExpressionAttributeValues, ':status': filter.status };
      }
      const items: ExtendedRequestModel[] = [];
      // Each page asks only for what is still missing, so the last key read is exactly where the next
      // page starts (a fixed page size would read past it and lose what lay between).
      while (items.length < filter.limit) {
        let result;
        try {
          result = await doc.send(
            new QueryCommand({
              ...input,
              ScanIndexForward: false,
              Limit: filter.limit - items.length,
              ...(startKey ? { ExclusiveStartKey: startKey } : {}),
            }),
          );
        } catch (error) {
          throw failed('DynamoDB Query', error, { index: input.IndexName });
        }
        items.push(...(result.Items ?? []).map(fromRow));
        startKey = result.LastEvaluatedKey;
        if (!startKey) break;
      }
      return { items, nextCursor: startKey ? encodeCursor({ i: kind, k: startKey }) : null };
    },

    async *all() {
      for await (const rows of queryPages(doc, queryIndex(REQUEST_INDEXES.all, 'listKey', LIST_KEY))) {
        yield rows.map(fromRow);
      }
    },

    async listUnfinished() {
      const found: ExtendedRequestModel[] = [];
      const input = queryIndex(REQUEST_INDEXES.byStatus, 'requestStatus', 'applying');
      for await (const rows of queryPages(doc, input)) found.push(...rows.map(fromRow));
      return found;
    },

    async dueExpiries(now) {
      const at = now.toISOString();
      const due: DueExpiry[] = [];
      const input: QueryCommandInput = {
        TableName: tableName,
        IndexName: REQUEST_INDEXES.byExpiry,
        KeyConditionExpression: '#key = :key AND #next <= :now',
        ExpressionAttributeNames: { '#key': 'expiryKey', '#next': 'nextExpiryAt' },
        ExpressionAttributeValues: { ':key': EXPIRY_KEY, ':now': at },
      };
      for await (const rows of queryPages(doc, input)) {
        for (const request of rows.map(fromRow)) {
          for (const change of request.changes.changes) {
            if (change.status !== 'applied' || change.id === undefined || change.expires_at === undefined) {
              continue;
            }
            if (Date.parse(change.expires_at) > now.getTime()) continue;
            due.push({ request, change: change as DueExpiry['change'] });
          }
        }
      }
      return due;
    },

    async history(id) {
      const items: PolicyRequestHistoryItem[] = [];
      const input: QueryCommandInput = {
        TableName: tableName,
        KeyConditionExpression: '#id = :id AND begins_with(#sk, :prefix)',
        ExpressionAttributeNames: { '#id': 'id', '#sk': 'sk' },
        ExpressionAttributeValues: { ':id': id, ':prefix': HISTORY_PREFIX },
        ConsistentRead: true,
      };
      for await (const rows of queryPages(doc, input)) items.push(...rows.map(historyOf));
      // The sort key orders by version; steps of one version keep the order they happened in.
      return items.sort((a, b) => a.version - b.version || Date.parse(a.at) - Date.parse(b.at));
    },

    async appendHistory(items) {
      for (const item of items) {
        try {
          await doc.send(new PutCommand(historyPut(item)));
        } catch (error) {
          if (isConditionFailure(error)) continue;
          throw failed('DynamoDB PutItem', error, { requestId: item.requestId });
        }
      }
    },
  };
}
