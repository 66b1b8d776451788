import { NoRespondersError, RequestError, TimeoutError, type NatsConnection } from '@nats-io/transport-node';
import { AppError } from '../errors/index.js';

/**
 * Whether each connection made by `connectNats` is up right now, kept from its status events. nats.js
 * buffers what is sent while it reconnects and lets requests wait for their timeout; knowing the state
 * lets callers fail at once with NATS_UNAVAILABLE instead.
 */
const states = new WeakMap<NatsConnection, NatsConnectionState>();

export interface NatsConnectionState {
  connected: boolean;
  /** Counts disconnections: what was in flight over an older epoch is lost. */
  epoch: number;
}

/** Starts tracking a connection that is connected now; `connectNats` calls it. */
export function trackNatsConnection(nc: NatsConnection): NatsConnectionState {
  const state = { connected: true, epoch: 0 };
  states.set(nc, state);
  return state;
}

/**
 * Which connection a request went out on. A request whose connection dropped since (even if it is back)
 * will not be answered: the responder's reply went to a connection that no longer exists.
 */
export const natsEpoch = (nc: NatsConnection): number => states.get(nc)?.epoch ?? 0;

/** False while the connection is closed or reconnecting; connections nobody tracks count as up. */
export function isNatsConnected(nc: NatsConnection): boolean {
  return !nc.isClosed() && (states.get(nc)?.connected ?? true);
}

export const natsUnavailable = (what: string, cause?: unknown) =>
  new AppError('NATS_UNAVAILABLE', `NATS is unreachable, so ${what} cannot be done now; try again shortly`, {
    ...(cause === undefined ? {} : { cause }),
  });

/** Throws NATS_UNAVAILABLE when the connection is down, before anything is sent. */
export function assertNatsConnected(nc: NatsConnection, what: string): void {
  if (!isNatsConnected(nc)) throw natsUnavailable(what);
}

/**
 * The NATS client's error classes, never their message text. A request's failure is a RequestError
 * whose cause says why (no responders); a timeout is a TimeoutError of its own.
 */
export const isNoResponders = (error: unknown): boolean =>
  error instanceof NoRespondersError || (error instanceof RequestError && error.isNoResponders());

export const isNatsTimeout = (error: unknown): boolean =>
  error instanceof TimeoutError || (error instanceof RequestError && error.cause instanceof TimeoutError);
