import { isAppError } from '../errors/index.js';

/** Deliveries a message gets before a failure sends it to the dead-letter stream. */
export const DEFAULT_MAX_DELIVERIES = 10;
/**
 * How long the server waits for an ack or a progress ack before it gives a message to another process.
 * Short, because a message held by a process that died comes back only after it; a message being
 * handled is kept alive by progress acks, however long it takes.
 */
export const DEFAULT_ACK_WAIT_MS = 5_000;
/** How long a message may keep saying it waits for others (a `retry` outcome) before it is dead-lettered. */
export const DEFAULT_MAX_WAIT_MS = 10 * 60_000;

/**
 * Why a message went to the dead-letter stream:
 * - `rejected`: the handler threw an AppError that is not retryable, so no attempt can succeed;
 * - `exhausted`: it failed on its last allowed delivery;
 * - `abandoned`: it was delivered more often than allowed without its earlier deliveries ending (the
 *   process handling it died, or the dead-lettering itself failed);
 * - `stalled`: it was still waiting for other messages after the longest wait allowed.
 */
export type DeadLetterReason = 'rejected' | 'exhausted' | 'abandoned' | 'stalled';

export type FailureDecision =
  { kind: 'retry'; delayMs: number } | { kind: 'dead-letter'; reason: DeadLetterReason };

/** Retry delay grows with the number of deliveries, from a second up to half a minute. */
export const retryDelayMs = (deliveries: number) =>
  Math.min(30_000, 500 * 2 ** Math.min(Math.max(deliveries, 1), 6));

/**
 * What to do with a message whose handler threw on its `deliveries`-th delivery (1 for the first).
 * Anything but a non-retryable AppError (including errors nobody classified, most often a dependency's
 * hiccup) is retried with a growing delay until the last allowed delivery.
 */
export function decideAfterFailure(failure: {
  error: unknown;
  deliveries: number;
  maxDeliveries: number;
}): FailureDecision {
  if (isAppError(failure.error) && !failure.error.retryable)
    return { kind: 'dead-letter', reason: 'rejected' };
  if (failure.deliveries >= failure.maxDeliveries) return { kind: 'dead-letter', reason: 'exhausted' };
  return { kind: 'retry', delayMs: retryDelayMs(failure.deliveries) };
}

/**
 * Whether a delivery may still be handled. One past the bound can only arrive when an earlier delivery
 * never ended (its process died mid-way, every time), so handling it again would loop without end.
 */
export const isWithinDeliveryBound = (deliveries: number, maxDeliveries: number) =>
  deliveries <= maxDeliveries;

/** Progress acks at 40 % of the ack wait: two chances to reach the server before it gives up on us. */
export const heartbeatIntervalMs = (ackWaitMs: number) => Math.max(1, Math.floor(ackWaitMs * 0.4));

/** A one-line description of an error for headers and logs: its code (or name) and message, no stack. */
export function describeError(error: unknown): string {
  if (isAppError(error)) return `${error.code}: ${error.message}`;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
