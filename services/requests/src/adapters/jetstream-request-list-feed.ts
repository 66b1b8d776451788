import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { requestsEvents, requestsStreams, type ExtendedRequestModel } from '@rolecall/shared/contracts';
import type { Logger } from '@rolecall/shared/log';
import { createDurableConsumer, readMessage, type DurableConsumer } from '@rolecall/shared/nats';

/** The durable consumer every requests process shares to keep the request list. */
export const REQUEST_LIST_DURABLE = 'requests-list';

/**
 * Keeps the request list current from REQUEST_EVENTS: for each event, the request as saved now (a
 * consistent read) replaces its row when newer, so events coming late, twice or out of order converge
 * on the stored state. Failures are retried and dead-lettered by the shared durable consumer. Starts
 * at new events: what came before is in DynamoDB, which the list is rebuilt from when empty; `ensure`
 * it before the rebuild so nothing falls between the two.
 */
export function createRequestListFeed(options: {
  js: JetStreamClient;
  jsm: JetStreamManager;
  requests: { get(id: string): Promise<ExtendedRequestModel | undefined> };
  list: { upsert(request: ExtendedRequestModel): Promise<boolean> };
  log: Logger;
  concurrency?: number;
  ackWaitMs?: number;
}): DurableConsumer {
  const { requests, list, log } = options;
  return createDurableConsumer({
    js: options.js,
    jsm: options.jsm,
    stream: requestsStreams.events.name,
    durable: REQUEST_LIST_DURABLE,
    deliver: 'new',
    concurrency: options.concurrency ?? 4,
    ...(options.ackWaitMs === undefined ? {} : { ackWaitMs: options.ackWaitMs }),
    log,
    async handle(msg) {
      const { requestId } = readMessage(requestsEvents.policyRequestHappened, msg).data;
      const request = await requests.get(requestId);
      if (!request) {
        // Events follow the save, so the request exists unless it was deleted by hand since.
        log.warn(
          { policyRequestId: requestId, subject: msg.subject },
          'request of an event is not in the store; skipped',
        );
        return;
      }
      await list.upsert(request);
    },
  });
}
