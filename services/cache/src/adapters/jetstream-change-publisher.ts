import type { JetStreamClient } from '@nats-io/jetstream';
import { cacheEvents } from '@rolecall/shared/contracts';
import { AppError } from '@rolecall/shared/errors';
import { publishEvent } from '@rolecall/shared/nats';
import type { ChangePublisher } from '../domain/ports.js';

/**
 * Publishes on RESOURCE_CHANGES. Subject and message id come from `cacheEvents.resourceChanged`
 * (job, item and kind of change); the message id makes JetStream drop a repeat inside its window.
 */
export function createJetStreamChangePublisher(options: {
  js: JetStreamClient;
  source: string;
}): ChangePublisher {
  const { js, source } = options;
  return {
    async publish(change) {
      try {
        await publishEvent(js, cacheEvents.resourceChanged, change, { source });
      } catch (error) {
        throw new AppError(
          'UPSTREAM_UNAVAILABLE',
          `publishing the ${change.change} change of ${change.arn} failed: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
    },
  };
}
