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
  type ConsoleLoginReply,
  type ConsoleLoginRequest,
  type CredentialAuditEvent,
  type EligibleRole,
  type IssueCredentialsReply,
  type IssueCredentialsRequest,
} from '@rolecall/shared/contracts';
import { AppError } from '@rolecall/shared/errors';
import { silentLogger } from '@rolecall/shared/log';
import { serveRequests } from '@rolecall/shared/nats';
import type { NatsConnection } from 'nats';

/** One grant: who may use a role, and whether only from the CLI. */
export interface FakeGrant {
  identity: string;
  role: EligibleRole;
}

/** Runs a synchronous handler as the promise-returning one serveRequests takes (a throw becomes a rejection). */
const sync =
  <T>(fn: (data: unknown) => T) =>
  (data: unknown): Promise<T> =>
    Promise.resolve().then(() => fn(data));

/** A role request that makes the fake broker fail as if STS had (to exercise 902). */
export const FAILING_ROLE = 'sts-is-down';

/**
 * A stand-in for services/broker on a real NATS server, answering the broker contracts with a fixed
 * grant table and ConsoleMe's matching (exact ARN, case-insensitive name, substring). It records what
 * it was asked so tests can check what the gateway sent.
 */
export async function startFakeBroker(nc: NatsConnection, grants: readonly FakeGrant[]) {
  const log = silentLogger();
  const issued: IssueCredentialsRequest[] = [];
  const logins: ConsoleLoginRequest[] = [];
  const audit: CredentialAuditEvent[] = [];

  const eligible = (caller: { user: string; groups: string[] }, channel: 'cli' | 'console') => {
    const who = new Set([caller.user, ...caller.groups].map((v) => v.toLowerCase()));
    const roles = new Map<string, EligibleRole>();
    for (const grant of grants) {
      if (!who.has(grant.identity.toLowerCase())) continue;
      if (channel === 'console' && grant.role.cliOnly) continue;
      const existing = roles.get(grant.role.arn);
      // Granted for the console by any grant → not cli-only.
      roles.set(grant.role.arn, existing && !existing.cliOnly ? existing : grant.role);
    }
    return [...roles.values()];
  };

  const match = (roles: EligibleRole[], query: string): EligibleRole[] => {
    const exact = roles.filter((r) => r.arn === query);
    if (exact.length > 0) return exact;
    const named = roles.filter((r) => r.roleName.toLowerCase() === query.toLowerCase());
    if (named.length > 0) return named;
    return roles.filter((r) => r.arn.toLowerCase().includes(query.toLowerCase()));
  };

  const refuse = (reason: 'no_matching_role' | 'multiple_matching_roles', matches: EligibleRole[]) => ({
    outcome: 'refused' as const,
    reason,
    message:
      reason === 'no_matching_role'
        ? 'You are not authorized for any role matching your request'
        : 'More than one of your roles matches your request',
    matches: matches.map((m) => m.arn),
  });

  const services = [
    await serveRequests(nc, {
      service: 'broker',
      version: '0.0.1',
      endpoint: 'issue-credentials',
      subject: brokerSubjects.issueCredentials,
      request: IssueCredentials,
      reply: IssueCredentialsReplied,
      log,
      handle: sync((data): IssueCredentialsReply => {
        const request = data as IssueCredentialsRequest;
        issued.push(request);
        if (request.requestedRole === FAILING_ROLE) {
          throw new AppError('UPSTREAM_FAILED', 'AssumeRole failed: ServiceUnavailable');
        }
        const all = grants.map((g) => g.role);
        const mine = eligible(request.caller, request.channel);
        const matches = match(mine, request.requestedRole);
        const event = (outcome: 'issued' | 'refused', roleArn?: string): CredentialAuditEvent => ({
          id: `evt-${audit.length + 1}`,
          at: new Date(Date.UTC(2026, 0, 1, 0, 0, audit.length)).toISOString(),
          user: request.caller.user,
          groups: request.caller.groups,
          channel: request.channel,
          requestedRole: request.requestedRole,
          outcome,
          sourceIp: request.context.sourceIp,
          userAgent: request.context.userAgent,
          requestId: request.context.requestId,
          ...(roleArn ? { roleArn } : {}),
        });
        if (matches.length === 0) {
          audit.push(event('refused'));
          // A role that exists but is not the caller's is "not eligible" (903) when named by ARN.
          if (all.some((r) => r.arn === request.requestedRole)) {
            return { ...refuse('no_matching_role', []), reason: 'not_eligible' };
          }
          return refuse('no_matching_role', []);
        }
        if (matches.length > 1) {
          audit.push(event('refused'));
          return refuse('multiple_matching_roles', matches);
        }
        const role = matches[0] as EligibleRole;
        audit.push(event('issued', role.arn));
        return {
          outcome: 'issued',
          roleArn: role.arn,
          accountId: role.accountId,
          credentials: {
            accessKeyId: `ASIAFAKE${issued.length}`,
            secretAccessKey: 'fake-secret',
            sessionToken: 'fake-token',
            expiration: 1_900_000_000,
          },
        };
      }),
    }),
    await serveRequests(nc, {
      service: 'broker',
      version: '0.0.1',
      endpoint: 'console-login',
      subject: brokerSubjects.consoleLogin,
      request: ConsoleLogin,
      reply: ConsoleLoginReplied,
      log,
      handle: sync((data): ConsoleLoginReply => {
        const request = data as ConsoleLoginRequest;
        logins.push(request);
        const matches = match(eligible(request.caller, 'console'), request.roleQuery);
        if (matches.length === 0) return refuse('no_matching_role', []);
        if (matches.length > 1) return refuse('multiple_matching_roles', matches);
        const role = matches[0] as EligibleRole;
        return {
          outcome: 'signed_in',
          roleArn: role.arn,
          url: `https://federation.example/federation?Action=login&SigninToken=t-${role.roleName}&Destination=${encodeURIComponent(request.redirect ?? `https://${request.region ?? 'us-east-1'}.console.aws.amazon.com`)}`,
          expiresAt: 1_900_000_000,
        };
      }),
    }),
    await serveRequests(nc, {
      service: 'broker',
      version: '0.0.1',
      endpoint: 'eligible-roles',
      subject: brokerSubjects.eligibleRoles,
      request: EligibleRolesQuery,
      reply: EligibleRolesReplied,
      log,
      handle: sync((data) => {
        const { caller, channel } = data as {
          caller: { user: string; groups: string[] };
          channel: 'cli' | 'console';
        };
        return { roles: eligible(caller, channel) };
      }),
    }),
    await serveRequests(nc, {
      service: 'broker',
      version: '0.0.1',
      endpoint: 'role-access',
      subject: brokerSubjects.roleAccess,
      request: RoleAccessQuery,
      reply: RoleAccessReplied,
      log,
      handle: sync((data) => {
        const { roleArn } = data as { roleArn: string };
        const identities = grants.filter((g) => g.role.arn === roleArn).map((g) => g.identity);
        return { known: identities.length > 0, identities: [...new Set(identities)].sort() };
      }),
    }),
    await serveRequests(nc, {
      service: 'broker',
      version: '0.0.1',
      endpoint: 'query-audit',
      subject: brokerSubjects.queryAudit,
      request: AuditQuery,
      reply: AuditQueryReplied,
      log,
      handle: sync((data) => {
        const query = data as { user?: string; limit: number };
        const items = audit.filter((e) => query.user === undefined || e.user === query.user);
        return { items: items.slice(0, query.limit), nextCursor: items.length > query.limit ? 'more' : null };
      }),
    }),
  ];

  return {
    issued,
    logins,
    audit,
    async stop() {
      await Promise.all(services.map((s) => s.stop()));
    },
  };
}
