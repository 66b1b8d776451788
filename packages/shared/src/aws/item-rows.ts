import { gunzipSync, gzipSync } from 'node:zlib';
import type { CachedItem } from '../contracts/index.js';
import { AppError } from '../errors/index.js';

/**
 * How a cached item is laid out in the roles and resources tables. The attributes conditions, filters
 * and keys use stay plain; the bulky part — tags, details (policy documents) and the copy kept for a
 * re-published change — is one gzipped JSON attribute, `body`.
 *
 * Why: policy documents compress about tenfold, and DynamoDB charges writes per KB and refuses items
 * over 400 KB (a role with many inline policies gets there as nested attributes). One opaque attribute
 * also costs far less to marshal than a deep map of lists, on both ends.
 */
const BODY_FIELDS = ['tags', 'details', 'previous'] as const;
type BodyField = (typeof BODY_FIELDS)[number];

export type ItemRow = Record<string, unknown> & { body: Uint8Array };

/** The row to write for an item (any extra bookkeeping attributes of `T` are kept as they are). */
export function toItemRow<T extends CachedItem & { previous?: CachedItem }>(item: T): ItemRow {
  const row: Record<string, unknown> = {};
  const body: Partial<Record<BodyField, unknown>> = {};
  for (const [key, value] of Object.entries(item)) {
    if (value === undefined) continue;
    if ((BODY_FIELDS as readonly string[]).includes(key)) body[key as BodyField] = value;
    else row[key] = value;
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
  const unpacked = JSON.parse(gunzipSync(body).toString('utf8')) as Partial<Record<BodyField, unknown>>;
  return { ...plain, ...unpacked } as T;
}
