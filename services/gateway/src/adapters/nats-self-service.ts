import type { NatsConnection } from '@nats-io/transport-node';
import {
  selfServiceOperations,
  type Caller,
  type ChangeGeneratorModelArray,
  type GenerateChangesReply,
} from '@rolecall/shared/contracts';
import { request } from '@rolecall/shared/nats';

/** The wizard's change generator (services/requests). */
export interface ChangeGeneratorService {
  generate(caller: Caller, body: ChangeGeneratorModelArray): Promise<GenerateChangesReply>;
}

/** services/requests over NATS: `selfServiceOperations` of `@rolecall/shared/contracts`. */
export function createNatsSelfService({
  nc,
  timeoutMs = 15_000,
}: {
  nc: NatsConnection;
  timeoutMs?: number;
}): ChangeGeneratorService {
  return {
    generate: (caller, body) =>
      request(nc, selfServiceOperations.generateChanges, { caller, body }, { source: 'gateway', timeoutMs }),
  };
}
