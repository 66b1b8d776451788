import type { Logger } from '@rolecall/shared/log';
import type { RequestStore } from '../domain/ports.js';
import type { Workflow } from './workflow.js';

/**
 * At start-up, the requests a crash left `applying`: each is applied on from where it stopped. The
 * writes compare with AWS first, so a change written just before the crash is not written twice, and
 * the conditional version write keeps two copies resuming at once from recording it twice. What stays
 * unfinished is logged with the request id, never left silent.
 */
export async function resumeApplying(options: { workflow: Workflow; store: RequestStore; log: Logger }) {
  const { workflow, store, log } = options;
  const unfinished = await store.listUnfinished();
  for (const listed of unfinished) {
    try {
      // The index trails writes: the request as saved now decides whether anything is left to apply.
      const request = await store.get(listed.id);
      if (request?.request_status !== 'applying') continue;
      log.warn({ policyRequestId: request.id, version: request.version }, 'resuming a request left applying');
      const after = await workflow.apply(request);
      log.info({ policyRequestId: request.id, status: after.request_status }, 'resumed request');
    } catch (error) {
      log.error({ err: error, policyRequestId: listed.id }, 'request left applying could not be resumed');
    }
  }
  return unfinished.length;
}
