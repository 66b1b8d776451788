import { fromItemRow } from '@rolecall/shared/aws';
import type { CachedItem, CachedRole, TypedCachedItem } from '@rolecall/shared/contracts';
import type { Logger } from '@rolecall/shared/log';
import { toCachedItem } from '../domain/stored-item.js';
import { checkCachedItem, type Checked } from './check-item.js';
import { createCorruptEntryLog, type CorruptionCounts } from './corrupt-entries.js';

/**
 * The read side of the cache's DynamoDB roles and resources tables (rows as `toItemRow` lays them out),
 * for a service that reads them itself, as the broker does when Redis holds no authorization mapping.
 * A row that does not decode or fails its item's schema is corrupt: logged once, counted, read as absent.
 */
export interface ItemRowReader {
  /**
   * The item a row holds, without the cache's bookkeeping attributes; undefined when a sweep is deleting
   * it (`deletedByJob`: gone as far as readers are concerned) or it is corrupt.
   */
  read(row: Record<string, unknown>): TypedCachedItem | undefined;
  /** As `read`, for a row of the roles table: an item there that is not a role is corrupt. */
  readRole(row: Record<string, unknown>): CachedRole | undefined;
  corruption(): CorruptionCounts;
}

export function createItemRowReader(options: { tableName: string; log: Logger }): ItemRowReader {
  const corrupt = createCorruptEntryLog({ log: options.log, store: 'dynamodb' });

  const decode = (row: Record<string, unknown>): Checked<TypedCachedItem> => {
    let stored: CachedItem;
    try {
      stored = fromItemRow<CachedItem>(row);
    } catch (error) {
      return { ok: false, problem: `body does not decode (${(error as Error).message})` };
    }
    return checkCachedItem(toCachedItem(stored));
  };

  const read = (row: Record<string, unknown>, expect?: 'iam_role'): TypedCachedItem | undefined => {
    if (row.deletedByJob !== undefined) return undefined;
    let checked = decode(row);
    if (checked.ok && expect !== undefined && checked.value.itemType !== expect) {
      checked = { ok: false, problem: `an ${checked.value.itemType}, not an ${expect}` };
    }
    if (checked.ok) return checked.value;
    const content = row.body instanceof Uint8Array ? row.body : JSON.stringify(row);
    corrupt.report(
      { key: options.tableName, field: `${String(row.partition)} ${String(row.arn)}` },
      content,
      checked.problem,
    );
    return undefined;
  };

  return {
    read: (row) => read(row),
    readRole(row) {
      const item = read(row, 'iam_role');
      return item?.itemType === 'iam_role' ? item : undefined;
    },
    corruption: () => corrupt.counts(),
  };
}
