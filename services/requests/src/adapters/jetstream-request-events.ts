import type { JetStreamClient } from '@nats-io/jetstream';
import { requestsEvents, type PolicyRequestHistoryItem } from '@rolecall/shared/contracts';
import { publishEvent } from '@rolecall/shared/nats';

/** Announces each step of a request on the bus (`requests.policy-request.<kind>`). */
export interface RequestEventPublisher {
  /** Resolves once JetStream stored every item; a step published again is stored once. */
  publish(items: readonly PolicyRequestHistoryItem[]): Promise<void>;
}

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
