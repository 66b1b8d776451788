import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What travels with one request through every service that handles it: the id the gateway assigned.
 * Kept in AsyncLocalStorage so that every log line written while the request is handled carries it
 * (see the logger's mixin), and so that every NATS request or event sent meanwhile carries it on, without
 * threading it through each port and handler signature.
 */
export interface RequestContext {
  requestId: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Runs `fn` (and everything it starts) as part of the request `requestId`. */
export function runWithRequestId<T>(requestId: string, fn: () => T): T {
  return storage.run({ requestId }, fn);
}

/** The id of the request being handled here, or undefined outside one (start-up, scheduled work). */
export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}

/** The NATS message header carrying the request id from service to service (HTTP's `X-Request-Id`). */
export const REQUEST_ID_HEADER = 'X-Request-Id';

/**
 * The shape of an id we take from elsewhere (a trusted proxy's `X-Request-Id`, a NATS header): what a
 * UUID, a ULID or a load balancer's trace id looks like, and nothing that could break a log line or a
 * header (no spaces, quotes or control characters), at most 128 characters.
 */
const REQUEST_ID_SHAPE = /^[A-Za-z0-9][A-Za-z0-9._:=+/-]{0,127}$/;

export const isRequestId = (value: unknown): value is string =>
  typeof value === 'string' && REQUEST_ID_SHAPE.test(value);
