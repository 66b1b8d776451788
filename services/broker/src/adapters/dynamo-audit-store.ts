import {
  BatchWriteCommand,
  paginateQuery,
  PutCommand,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { AUDIT_INDEXES, isAwsErrorNamed, translateAwsError, translatePageErrors } from '@rolecall/shared/aws';
import type { CredentialAuditEvent } from '@rolecall/shared/contracts';
import { AppError } from '@rolecall/shared/errors';
import { setTimeout as delay } from 'node:timers/promises';
import type { AuditStore } from '../domain/ports.js';

/** Items in one BatchWriteItem, DynamoDB's limit. */
const BATCH_WRITE_LIMIT = 25;
/** Tries of one batch before the records' messages are left to JetStream's redelivery. */
const MAX_BATCH_ATTEMPTS = 5;
const BATCH_RETRY_BASE_MS = 50;

/** Without a user, a role or `since`, a query looks this far back. */
export const DEFAULT_LOOKBACK_DAYS = 365;

type IndexKind = 'user' | 'role' | 'month';

interface CursorState {
  i: IndexKind;
  /** The month being read (month index only). */
  m?: string;
  /** DynamoDB's LastEvaluatedKey. */
  k?: Record<string, unknown>;
}

const EVENT_FIELDS = [
  'id',
  'at',
  'user',
  'groups',
  'channel',
  'requestedRole',
  'roleArn',
  'outcome',
  'reason',
  'sourceIp',
  'userAgent',
  'requestId',
  'durationSeconds',
  'accessKeyId',
] as const satisfies readonly (keyof CredentialAuditEvent)[];

const monthOf = (iso: string) => iso.slice(0, 7);
const previousMonth = (month: string) => {
  const [year, m] = month.split('-').map(Number) as [number, number];
  return m === 1 ? `${year - 1}-12` : `${year}-${String(m - 1).padStart(2, '0')}`;
};
/** The audited role: its ARN when one was matched, else what was asked for. */
export const roleKeyOf = (event: Pick<CredentialAuditEvent, 'roleArn' | 'requestedRole'>) =>
  (event.roleArn ?? event.requestedRole).toLowerCase();

const encodeCursor = (state: CursorState) => Buffer.from(JSON.stringify(state)).toString('base64url');
function decodeCursor(cursor: string, kind: IndexKind): CursorState {
  try {
    const state = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as CursorState;
    if (state.i === kind && (state.k === undefined || typeof state.k === 'object')) return state;
  } catch {
    // Reported below with the same message as a cursor for another query.
  }
  throw new AppError('INVALID_CURSOR', 'cursor does not belong to this query; start again without it');
}

/**
 * The audit table: one item per event (key `id`), with `atId` = `<at>#<id>` as the sort key of three
 * indexes — by user, by role (lower-cased ARN) and by month — so every query is a key-range Query,
 * newest first, and the cursor is where the last page stopped.
 */
export function createDynamoAuditStore(options: {
  doc: DynamoDBDocumentClient;
  tableName: string;
  now?: () => Date;
}): AuditStore {
  const { doc, tableName } = options;
  const now = options.now ?? (() => new Date());

  const toEvent = (item: Record<string, unknown>): CredentialAuditEvent => {
    const event: Record<string, unknown> = {};
    for (const field of EVENT_FIELDS) if (item[field] !== undefined) event[field] = item[field];
    return event as unknown as CredentialAuditEvent;
  };

  const toItem = (event: CredentialAuditEvent): Record<string, unknown> => {
    const at = new Date(event.at).toISOString();
    return {
      ...Object.fromEntries(Object.entries(event).filter(([, v]) => v !== undefined)),
      atId: `${at}#${event.id}`,
      roleKey: roleKeyOf(event),
      month: monthOf(at),
    };
  };

  return {
    async put(event) {
      try {
        await doc.send(
          new PutCommand({
            TableName: tableName,
            Item: toItem(event),
            ...(event.outcome === 'pending' ? { ConditionExpression: 'attribute_not_exists(id)' } : {}),
          }),
        );
      } catch (error) {
        // An intent finding its record already there: the completion (or this intent) is recorded.
        if (event.outcome === 'pending' && isAwsErrorNamed(error, 'ConditionalCheckFailedException')) return;
        throw translateAwsError(error, { operation: 'DynamoDB PutItem', table: tableName });
      }
    },

    async putFinal(events) {
      if (events.some((event) => event.outcome === 'pending')) {
        // BatchWriteItem has no conditions, and an intent must never replace its completion.
        throw new RangeError('putFinal takes final records only; write an intent with put');
      }
      for (let start = 0; start < events.length; start += BATCH_WRITE_LIMIT) {
        let requests = events
          .slice(start, start + BATCH_WRITE_LIMIT)
          .map((event) => ({ PutRequest: { Item: toItem(event) } }));
        for (let attempt = 0; requests.length > 0; attempt += 1) {
          if (attempt === MAX_BATCH_ATTEMPTS) {
            throw new AppError(
              'UPSTREAM_THROTTLED',
              `DynamoDB left ${requests.length} audit records unwritten after ${attempt} attempts (throttled)`,
              { context: { table: tableName } },
            );
          }
          if (attempt > 0) await delay(BATCH_RETRY_BASE_MS * 2 ** (attempt - 1));
          try {
            const answer = await doc.send(new BatchWriteCommand({ RequestItems: { [tableName]: requests } }));
            // What DynamoDB did not take (throttling) is sent again, backing off, as its docs ask.
            requests = (answer.UnprocessedItems?.[tableName] ?? []) as typeof requests;
          } catch (error) {
            throw translateAwsError(error, { operation: 'DynamoDB BatchWriteItem', table: tableName });
          }
        }
      }
    },

    async query(query) {
      const kind: IndexKind = query.user ? 'user' : query.role ? 'role' : 'month';
      const state: CursorState = query.cursor ? decodeCursor(query.cursor, kind) : { i: kind };
      const since = query.since
        ? new Date(query.since).toISOString()
        : kind === 'month'
          ? new Date(now().getTime() - DEFAULT_LOOKBACK_DAYS * 86_400_000).toISOString()
          : undefined;
      const roleKey = query.role?.toLowerCase();
      const items: CredentialAuditEvent[] = [];

      /**
       * Reads one key of `index` newest first from `startKey` until `query.limit` items are in; returns the
       * key to resume from, or undefined when the key has no more.
       */
      const readIndex = async (
        index: string,
        keyName: string,
        keyValue: string,
        startKey: Record<string, unknown> | undefined,
      ): Promise<Record<string, unknown> | undefined> => {
        const values: Record<string, unknown> = { ':key': keyValue };
        const names: Record<string, string> = { '#key': keyName };
        let condition = '#key = :key';
        if (since) {
          condition += ' AND #atId >= :since';
          names['#atId'] = 'atId';
          values[':since'] = since;
        }
        const filterRole = kind === 'user' && roleKey !== undefined;
        if (filterRole) {
          names['#roleKey'] = 'roleKey';
          values[':role'] = roleKey;
        }
        const pages = paginateQuery(
          {
            client: doc,
            startingToken: startKey,
            // Each page asks only for the items still missing, so the last key read is exactly where the
            // cursor resumes (a fixed page size would read past it).
            withCommand: (command) => {
              (command.input as QueryCommandInput).Limit = query.limit - items.length;
              return command;
            },
          },
          {
            TableName: tableName,
            IndexName: index,
            KeyConditionExpression: condition,
            ...(filterRole ? { FilterExpression: '#roleKey = :role' } : {}),
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ScanIndexForward: false,
          },
        );
        const translate = (error: unknown) =>
          translateAwsError(error, { operation: 'DynamoDB Query', table: tableName, index });
        for await (const result of translatePageErrors(pages, translate)) {
          items.push(...(result.Items ?? []).map(toEvent));
          if (items.length >= query.limit) return result.LastEvaluatedKey;
        }
        return undefined;
      };

      if (kind !== 'month') {
        const [index, keyName, keyValue] =
          kind === 'user'
            ? [AUDIT_INDEXES.byUser, 'user', query.user as string]
            : [AUDIT_INDEXES.byRole, 'roleKey', roleKey as string];
        const next = await readIndex(index, keyName, keyValue, state.k);
        return { items, nextCursor: next ? encodeCursor({ i: kind, k: next }) : null };
      }

      const lowest = monthOf(since as string);
      let month = state.m ?? monthOf(now().toISOString());
      let startKey = state.k;
      while (month >= lowest) {
        const next = await readIndex(AUDIT_INDEXES.byMonth, 'month', month, startKey);
        if (next) return { items, nextCursor: encodeCursor({ i: 'month', m: month, k: next }) };
        startKey = undefined;
        month = previousMonth(month);
        if (items.length >= query.limit) {
          return { items, nextCursor: month >= lowest ? encodeCursor({ i: 'month', m: month }) : null };
        }
      }
      return { items, nextCursor: null };
    },
  };
}
