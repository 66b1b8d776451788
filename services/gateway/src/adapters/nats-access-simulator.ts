import type { NatsConnection } from '@nats-io/transport-node';
import { accessOperations } from '@rolecall/shared/contracts';
import { request } from '@rolecall/shared/nats';
import type { AccessSimulator } from '../routes/access/simulate-access.js';

/** services/requests' access simulation over NATS request/reply (`accessOperations.simulate`). */
export function createNatsAccessSimulator({
  nc,
  timeoutMs = 15_000,
}: {
  nc: NatsConnection;
  timeoutMs?: number;
}): AccessSimulator {
  return {
    simulate: (caller, query) =>
      request(nc, accessOperations.simulate, { caller, query }, { source: 'gateway', timeoutMs }),
  };
}
