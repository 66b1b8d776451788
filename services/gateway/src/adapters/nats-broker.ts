import type { NatsConnection } from '@nats-io/transport-node';
import { brokerOperations, type EligibleRole, type EligibleRolesPage } from '@rolecall/shared/contracts';
import { AppError } from '@rolecall/shared/errors';
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
    // Page by page: one NATS message cannot hold the roles of a user granted thousands (see the broker's
    // eligible-roles handler). Each page starts after the last ARN of the one before, so the loop ends.
    async eligibleRoles(caller, channel) {
      const roles: EligibleRole[] = [];
      let page: EligibleRolesPage = {};
      for (;;) {
        const reply = await request(nc, ops.eligibleRoles, { caller, channel, page }, options);
        roles.push(...reply.roles);
        if (!reply.nextPage) return { roles };
        if (page.after !== undefined && reply.nextPage.after <= page.after) {
          throw new AppError('INTERNAL', 'the broker paged eligible roles backwards; is it up to date?');
        }
        page = reply.nextPage;
      }
    },
    roleAccess: (roleArn) => request(nc, ops.roleAccess, { roleArn }, options),
    queryAudit: (query) => request(nc, ops.queryAudit, query, options),
  };
}
