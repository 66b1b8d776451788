import type { GetRequestReply, RequestOf, requestsOperations } from '@rolecall/shared/contracts';
import { requestConfigOf } from '../domain/authorization.js';
import type { RequestStore } from '../domain/ports.js';
import type { Workflow } from './workflow.js';
import { requestNotFound } from './refusals.js';

type GetData = RequestOf<(typeof requestsOperations)['get']>;

/** `GET /api/v2/requests/{id}`: the request, what the caller may do with it, and who still needs to approve. */
export function createGetRequestHandler(options: { workflow: Workflow; store: RequestStore }) {
  const { workflow, store } = options;
  return async ({ caller, requestId }: GetData): Promise<GetRequestReply> => {
    const request = await store.get(requestId);
    if (request === undefined) {
      return requestNotFound(requestId);
    }
    const touched = await workflow.touchedOf(request);
    const facts = workflow.facts(request, caller, touched);
    return {
      outcome: 'found',
      request,
      requestConfig: requestConfigOf(facts),
      approval: facts.explanation,
    };
  };
}
