import type { NatsConnection } from '@nats-io/transport-node';
import { requestsOperations } from '@rolecall/shared/contracts';
import { request } from '@rolecall/shared/nats';
import type { PolicyRequests } from '../domain/ports.js';

export interface NatsPolicyRequestsOptions {
  nc: NatsConnection;
  /** Creating and approving read the cache and may apply changes in AWS; beyond this the user is told. */
  timeoutMs?: number;
}

/** services/requests over NATS request/reply: `requestsOperations` of `@rolecall/shared/contracts`. */
export function createNatsPolicyRequests({
  nc,
  timeoutMs = 30_000,
}: NatsPolicyRequestsOptions): PolicyRequests {
  const options = { source: 'gateway', timeoutMs };
  const ops = requestsOperations;
  return {
    create: (caller, body) => request(nc, ops.create, { caller, body }, options),
    list: (caller, body) => request(nc, ops.list, { caller, body }, options),
    get: (caller, requestId) => request(nc, ops.get, { caller, requestId }, options),
    modify: (caller, requestId, body) => request(nc, ops.modify, { caller, requestId, body }, options),
    history: (caller, requestId) => request(nc, ops.events, { caller, requestId }, options),
  };
}
