import type { NatsConnection } from '@nats-io/transport-node';
import { brokerOperations } from '@rolecall/shared/contracts';
import { request } from '@rolecall/shared/nats';
import type { Broker } from '../domain/ports.js';

export interface NatsBrokerOptions {
  nc: NatsConnection;
  /** STS and the federation endpoint answer within seconds; beyond that the user is better told. */
  timeoutMs?: number;
}

/** The broker over NATS request/reply: `brokerOperations` of `@rolecall/shared/contracts`. */
export function createNatsBroker({ nc, timeoutMs = 15_000 }: NatsBrokerOptions): Broker {
  const options = { source: 'gateway', timeoutMs };
  const ops = brokerOperations;
  return {
    issueCredentials: (data) => request(nc, ops.issueCredentials, data, options),
    consoleLogin: (data) => request(nc, ops.consoleLogin, data, options),
    eligibleRoles: (caller, channel) => request(nc, ops.eligibleRoles, { caller, channel }, options),
    roleAccess: (roleArn) => request(nc, ops.roleAccess, { roleArn }, options),
    queryAudit: (query) => request(nc, ops.queryAudit, query, options),
  };
}
