import { gunzipSync, gzipSync } from 'node:zlib';
import type { CachedItem } from '../contracts/index.js';
import { AppError } from '../errors/index.js';

/**
 * How a cached item is laid out in the roles and resources tables: the attributes DynamoDB itself
 * evaluates — the keys, what conditional writes test, what the broker's scan filters on — stay plain;
 * everything else (tags, details with the policy documents, times, the copy kept for a re-published
 * change) is one gzipped JSON attribute, `body`.
 *
 * Why: policy documents compress several times over, and DynamoDB charges writes per KB and refuses items
 * over 400 KB (a role with many inline policies gets there as nested attributes). Few attributes also
 * cost far less to marshal, on both ends; and new item fields need no change here.
 */
const PLAIN_FIELDS: ReadonlySet<string> = new Set([
  'partition',
  'arn',
  'itemType',
  'seenAt',
  'writeId',
  'deletedByJob',
]);

export type ItemRow = Record<string, unknown> & { body: Uint8Array };

/** The row to write for an item (bookkeeping attributes of `T` beyond CachedItem included). */
export function toItemRow<T extends CachedItem>(item: T): ItemRow {
  const row: Record<string, unknown> = {};
  const body: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(item)) {
    if (value === undefined) continue;
    if (PLAIN_FIELDS.has(key)) row[key] = value;
    else body[key] = value;
  }
  return { ...row, body: gzipSync(JSON.stringify(body)) };
}

/** The item a row holds; a row written before `body` existed (attributes all plain) is read as it is. */
export function fromItemRow<T extends CachedItem>(row: Record<string, unknown>): T {
  const { body, ...plain } = row;
  if (body === undefined) return row as T;
  if (!(body instanceof Uint8Array)) {
    throw new AppError('INTERNAL', `stored item ${String(row.arn)} has a body that is not binary`);
  }
  const unpacked = JSON.parse(gunzipSync(body).toString('utf8')) as Record<string, unknown>;
  return { ...plain, ...unpacked } as T;
}
