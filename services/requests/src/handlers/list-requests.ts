import {
  RequestStatuses,
  type ListRequestsReply,
  type RequestListItem,
  type RequestOf,
  type RequestStatus,
  type requestsOperations,
} from '@rolecall/shared/contracts';
import { compileSearchRegex, createScanBudget, type SearchRegex } from '@rolecall/shared/regex';
import type { RequestList, RequestListRow, RequestStore } from '../domain/ports.js';

export interface ListRequestsOptions {
  list: RequestList;
  store: Pick<RequestStore, 'all'>;
}

type ListData = RequestOf<(typeof requestsOperations)['list']>;
type Filters = NonNullable<ListData['body']['filters']>;

const PAGE = 200;
/**
 * How long one listing may filter before it is refused. The list is a few thousand rows at most in a
 * busy year; RE2 matching is linear, so only a huge list with many patterns comes near this.
 */
const FILTER_BUDGET_MS = 2_000;
const isStatus = (value: string): value is RequestStatus =>
  (RequestStatuses as readonly string[]).includes(value);

/**
 * `POST /api/v2/requests`: the request list in Redis, newest first, filled from DynamoDB first when Redis
 * has lost it. ConsoleMe's column filters: a text filter is a regular expression that must occur in the
 * column, ignoring case, as ConsoleMe's `re.search`; it is compiled with RE2 semantics, so matching is
 * linear and no pattern can make the list slow (back-references and lookarounds are refused with a
 * 400). A `[start, end]` pair (epoch seconds) keeps the time columns within it. An exact status narrows
 * the walk to that status's index.
 */
export function createListRequestsHandler(options: ListRequestsOptions) {
  const { list, store } = options;
  return async ({ body }: ListData): Promise<ListRequestsReply> => {
    await list.rebuildIfEmpty(() => store.all());
    const filters: Filters = body.filters ?? {};
    // Compiled before anything is read, so a bad pattern is refused at once.
    const matches = compileFilters(filters);
    const budget = createScanBudget({ maxMs: FILTER_BUDGET_MS });
    const limit = body.limit ?? 1000;
    const status =
      typeof filters.status === 'string' && isStatus(filters.status) ? filters.status : undefined;
    const items: RequestListItem[] = [];
    let cursor: string | undefined;
    do {
      const page = await list.list({ status, limit: PAGE, cursor });
      for (const row of page.items) {
        await budget.spend();
        if (matches(row)) items.push(withoutAccount(row));
        if (items.length >= limit) return { items };
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    return { items };
  };
}

function compileFilters(filters: Filters): (row: RequestListRow) => boolean {
  const tests = Object.entries(filters).flatMap(([column, filter]) => {
    if (filter === undefined) return [];
    const read = (row: RequestListRow) => columnValue(row, column);
    if (Array.isArray(filter)) {
      const [start, end] = filter;
      return [(row: RequestListRow) => inRange(read(row), start, end)];
    }
    const regex: SearchRegex = compileSearchRegex(filter, column);
    return [
      (row: RequestListRow) => {
        const value = read(row);
        return typeof value === 'string' && regex.test(value);
      },
    ];
  });
  return (row) => tests.every((test) => test(row));
}

/** The text a column filter reads: the principal column searches its ARN, as ConsoleMe's table shows it. */
function columnValue(row: RequestListRow, column: string): unknown {
  if (column === 'principal') return row.principal.principal_arn;
  return (row as unknown as Record<string, unknown>)[column];
}

const inRange = (value: unknown, start: number, end: number) =>
  typeof value === 'number' && value >= start && value <= end;

function withoutAccount(row: RequestListRow): RequestListItem {
  const item: Partial<RequestListRow> = { ...row };
  delete item.account_id;
  return item as RequestListItem;
}
