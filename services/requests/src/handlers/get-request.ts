import type { GetRequestReply, RequestOf, requestsOperations } from '@rolecall/shared/contracts';
import { requestConfigOf } from '../domain/authorization.js';
import type { RequestStore, ResourceLookup } from '../domain/ports.js';
import { managedDocumentsFrom, reviewedRequest } from '../domain/review-change.js';
import type { Workflow } from './workflow.js';
import { requestNotFound } from './refusals.js';

type GetData = RequestOf<(typeof requestsOperations)['get']>;

/** `GET /api/v2/requests/{id}`: the request, what the caller may do with it, and who still needs to approve. */
export function createGetRequestHandler(options: {
  workflow: Workflow;
  store: RequestStore;
  /** The cache, for the documents that managed policy changes attach. */
  lookup: ResourceLookup;
}) {
  const { workflow, store } = options;
  const managedDocument = managedDocumentsFrom(options.lookup);
  return async ({ caller, requestId }: GetData): Promise<GetRequestReply> => {
    const request = await store.get(requestId);
    if (request === undefined) {
      return requestNotFound(requestId);
    }
    const touched = await workflow.touchedOf(request);
    const facts = workflow.facts(request, caller, touched);
    return {
      outcome: 'found',
      request: await reviewedRequest(request, managedDocument),
      requestConfig: requestConfigOf(facts),
      approval: facts.explanation,
    };
  };
}
