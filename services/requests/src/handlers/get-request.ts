import type { GetRequestReply, RequestOf, requestsOperations } from '@rolecall/shared/contracts';
import { requestConfigOf } from '../domain/authorization.js';
import type { RequestStore } from '../domain/ports.js';
import { reviewedRequest } from '../domain/review-change.js';
import type { Workflow } from './workflow.js';

type GetData = RequestOf<(typeof requestsOperations)['get']>;

/** `GET /api/v2/requests/{id}`: the request, what the caller may do with it, and who still needs to approve. */
export function createGetRequestHandler(options: { workflow: Workflow; store: RequestStore }) {
  const { workflow, store } = options;
  return async ({ caller, requestId }: GetData): Promise<GetRequestReply> => {
    const request = await store.get(requestId);
    if (request === undefined) {
      return {
        outcome: 'refused',
        kind: 'not_found',
        code: 'REQUEST_NOT_FOUND',
        message: `there is no request ${requestId}`,
      };
    }
    const touched = await workflow.touchedOf(request);
    const facts = workflow.facts(request, caller, touched);
    return {
      outcome: 'found',
      request: await reviewedRequest(request),
      requestConfig: requestConfigOf(facts),
      approval: facts.explanation,
    };
  };
}
