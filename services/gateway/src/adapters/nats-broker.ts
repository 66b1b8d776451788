import {
  AuditQuery,
  AuditQueryReplied,
  brokerSubjects,
  ConsoleLogin,
  ConsoleLoginReplied,
  EligibleRolesQuery,
  EligibleRolesReplied,
  IssueCredentials,
  IssueCredentialsReplied,
  RoleAccessQuery,
  RoleAccessReplied,
} from '@rolecall/shared/contracts';
import { request } from '@rolecall/shared/nats';
import type { NatsConnection } from 'nats';
import type { Broker } from '../domain/broker.js';

export interface NatsBrokerOptions {
  nc: NatsConnection;
  /** STS and the federation endpoint answer within seconds; beyond that the user is better told. */
  timeoutMs?: number;
}

/** The broker over NATS request/reply, with the contracts of `@rolecall/shared/contracts` broker.ts. */
export function createNatsBroker({ nc, timeoutMs = 15_000 }: NatsBrokerOptions): Broker {
  const options = { source: 'gateway', timeoutMs };
  return {
    issueCredentials: (data) =>
      request(nc, brokerSubjects.issueCredentials, IssueCredentials, IssueCredentialsReplied, data, options),
    consoleLogin: (data) =>
      request(nc, brokerSubjects.consoleLogin, ConsoleLogin, ConsoleLoginReplied, data, options),
    eligibleRoles: (caller, channel) =>
      request(
        nc,
        brokerSubjects.eligibleRoles,
        EligibleRolesQuery,
        EligibleRolesReplied,
        { caller, channel },
        options,
      ),
    roleAccess: (roleArn) =>
      request(nc, brokerSubjects.roleAccess, RoleAccessQuery, RoleAccessReplied, { roleArn }, options),
    queryAudit: (query) =>
      request(nc, brokerSubjects.queryAudit, AuditQuery, AuditQueryReplied, query, options),
  };
}
