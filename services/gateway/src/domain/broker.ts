import type {
  ConsoleLoginReply,
  ConsoleLoginRequest,
  CredentialAuditEvent,
  EligibleRolesReply,
  IssueCredentialsReply,
  IssueCredentialsRequest,
} from '@rolecall/shared/contracts';

export interface AuditQueryInput {
  user?: string;
  role?: string;
  since?: string;
  cursor?: string;
  limit: number;
}

/**
 * The credential broker as the gateway uses it (services/broker over NATS). Refusals are values in
 * the replies; transport or STS failures are thrown AppErrors.
 */
export interface Broker {
  issueCredentials(request: IssueCredentialsRequest): Promise<IssueCredentialsReply>;
  consoleLogin(request: ConsoleLoginRequest): Promise<ConsoleLoginReply>;
  eligibleRoles(
    caller: { user: string; groups: string[] },
    channel: 'cli' | 'console',
  ): Promise<EligibleRolesReply>;
  roleAccess(roleArn: string): Promise<{ known: boolean; identities: string[] }>;
  queryAudit(query: AuditQueryInput): Promise<{ items: CredentialAuditEvent[]; nextCursor: string | null }>;
}
