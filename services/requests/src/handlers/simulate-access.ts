import type { RedisCacheReader } from '@rolecall/cache/reader';
import { simulateAccess } from '@rolecall/policy';
import type { AccessSimulationReply, accessOperations, RequestOf } from '@rolecall/shared/contracts';
import { createCacheAccessFacts } from '../adapters/cache-access-facts.js';
import type { RequestStore, ResourceLookup } from '../domain/ports.js';
import { stateAfterRequest } from '../domain/state-after-request.js';

type SimulateData = RequestOf<(typeof accessOperations)['simulate']>;

/**
 * `POST /api/v3/access/simulate`. Served here rather than in the gateway because "after this request is
 * applied" needs the request (this service owns them) and the planner that applies its changes
 * (domain/policy-edit.ts); keeping the whole evaluation here means the gateway neither reads the
 * requests table nor asks twice, and the cached state is read once, through the cache's own reader.
 */
export function createSimulateAccessHandler(options: {
  reader: RedisCacheReader;
  lookup: ResourceLookup;
  store: RequestStore;
}) {
  const { reader, lookup, store } = options;
  return async ({ query }: SimulateData): Promise<AccessSimulationReply> => {
    if (query.request_id === undefined) {
      return simulateAccess(query, createCacheAccessFacts({ reader }));
    }
    const request = await store.get(query.request_id);
    if (request === undefined) {
      return {
        outcome: 'refused',
        kind: 'not_found',
        code: 'REQUEST_NOT_FOUND',
        message: `there is no request ${query.request_id}`,
      };
    }
    const after = await stateAfterRequest(request, (arn) => lookup.get(arn));
    const reply = await simulateAccess(query, createCacheAccessFacts({ reader, overlay: after.overlay }));
    if (reply.outcome !== 'answered') return reply;
    return {
      outcome: 'answered',
      answer: {
        ...reply.answer,
        missing: [...after.notes, ...reply.answer.missing],
        afterRequest: request.id,
      },
    };
  };
}
