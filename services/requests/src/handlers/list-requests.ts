import {
  RequestStatuses,
  type ListRequestsReply,
  type RequestListItem,
  type RequestOf,
  type RequestStatus,
  type requestsOperations,
} from '@rolecall/shared/contracts';
import type { RequestList, RequestListRow, RequestStore } from '../domain/ports.js';

export interface ListRequestsOptions {
  list: RequestList;
  store: Pick<RequestStore, 'all'>;
}

type ListData = RequestOf<(typeof requestsOperations)['list']>;
type Filters = NonNullable<ListData['body']['filters']>;

const PAGE = 200;
const isStatus = (value: string): value is RequestStatus =>
  (RequestStatuses as readonly string[]).includes(value);

/**
 * `POST /api/v2/requests`: the request list in Redis, newest first, filled from DynamoDB first when Redis
 * has lost it. ConsoleMe's column filters: a text filter matches rows whose column contains it
 * (case-insensitively; a text, not a regular expression, so no pattern can make the list slow), a
 * `[start, end]` pair (epoch seconds) the time columns within it. An exact status or requester narrows
 * the walk to that index.
 */
export function createListRequestsHandler(options: ListRequestsOptions) {
  const { list, store } = options;
  return async ({ body }: ListData): Promise<ListRequestsReply> => {
    await list.rebuildIfEmpty(() => store.all());
    const filters: Filters = body.filters ?? {};
    const limit = body.limit ?? 1000;
    const status =
      typeof filters.status === 'string' && isStatus(filters.status) ? filters.status : undefined;
    const items: RequestListItem[] = [];
    let cursor: string | undefined;
    do {
      const page = await list.list({ status, limit: PAGE, cursor });
      for (const row of page.items) {
        if (matches(row, filters)) items.push(withoutAccount(row));
        if (items.length >= limit) return { items };
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    return { items };
  };
}

function matches(row: RequestListRow, filters: Filters): boolean {
  return Object.entries(filters).every(([column, filter]) => {
    if (filter === undefined) return true;
    const value = (row as unknown as Record<string, unknown>)[column];
    if (Array.isArray(filter)) {
      const [start, end] = filter;
      return typeof value === 'number' && value >= start && value <= end;
    }
    const text = column === 'principal' ? row.principal.principal_arn : value;
    return typeof text === 'string' && text.toLowerCase().includes(filter.toLowerCase());
  });
}

function withoutAccount(row: RequestListRow): RequestListItem {
  const item: Partial<RequestListRow> = { ...row };
  delete item.account_id;
  return item as RequestListItem;
}
