import type { RequestEventsReply, RequestOf, requestsOperations } from '@rolecall/shared/contracts';
import type { RequestStore } from '../domain/ports.js';
import { requestNotFound } from './refusals.js';

type HistoryData = RequestOf<(typeof requestsOperations)['events']>;

/** `GET /api/v3/requests/{id}/events`: every step of the request, oldest first. */
export function createRequestHistoryHandler(options: { store: RequestStore }) {
  const { store } = options;
  return async ({ requestId }: HistoryData): Promise<RequestEventsReply> => {
    if ((await store.get(requestId)) === undefined) {
      return requestNotFound(requestId);
    }
    return { outcome: 'found', items: await store.history(requestId) };
  };
}
