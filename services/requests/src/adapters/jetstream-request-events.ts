import type { JetStreamClient } from '@nats-io/jetstream';
import { requestsEvents } from '@rolecall/shared/contracts';
import { publishEvent } from '@rolecall/shared/nats';
import type { RequestEventPublisher } from '../domain/ports.js';
export type { RequestEventPublisher };

/**
 * Publishes history items as `requestsEvents.policyRequestHappened` to REQUEST_EVENTS, in order. The
 * message id is the item's identity (request, version, step, change), so publishing a step again after
 * a crash, inside the stream's duplicate window, stores nothing new.
 */
export function createJetStreamRequestEvents(options: {
  js: JetStreamClient;
  source: string;
}): RequestEventPublisher {
  const { js, source } = options;
  return {
    async publish(items) {
      for (const item of items) {
        await publishEvent(js, requestsEvents.policyRequestHappened, item, { source });
      }
    },
  };
}
