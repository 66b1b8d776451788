import type { RequestEventsReply, RequestOf, requestsOperations } from '@rolecall/shared/contracts';
import type { RequestStore } from '../domain/ports.js';

type HistoryData = RequestOf<(typeof requestsOperations)['events']>;

/** `GET /api/v3/requests/{id}/events`: every step of the request, oldest first. */
export function createRequestHistoryHandler(options: { store: RequestStore }) {
  const { store } = options;
  return async ({ requestId }: HistoryData): Promise<RequestEventsReply> => {
    if ((await store.get(requestId)) === undefined) {
      return {
        outcome: 'refused',
        kind: 'not_found',
        code: 'REQUEST_NOT_FOUND',
        message: `there is no request ${requestId}`,
      };
    }
    return { outcome: 'found', items: await store.history(requestId) };
  };
}
