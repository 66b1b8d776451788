import type {
  Caller,
  ConsoleLoginReply,
  ConsoleLoginRequest,
  CredentialAuditEvent,
  EligibleRolesReply,
  IssueCredentialsReply,
  IssueCredentialsRequest,
  CreateRequestReply,
  GetRequestReply,
  ListRequestsReply,
  ModifyRequestReply,
  PolicyRequestModificationModel,
  RequestCreationModel,
  RequestEventsReply,
  RequestListFilters,
  StartCrawlReply,
  StartCrawlRequest,
} from '@rolecall/shared/contracts';
import type { Challenge } from './challenge.js';

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

/**
 * The policy-request workflow as the gateway uses it (services/requests over NATS). The caller is the
 * authenticated identity; refusals (forbidden, invalid, conflict, not found) are values in the replies.
 */
export interface PolicyRequests {
  create(caller: Caller, body: RequestCreationModel): Promise<CreateRequestReply>;
  list(caller: Caller, body: RequestListFilters): Promise<ListRequestsReply>;
  get(caller: Caller, requestId: string): Promise<GetRequestReply>;
  modify(
    caller: Caller,
    requestId: string,
    body: PolicyRequestModificationModel,
  ): Promise<ModifyRequestReply>;
  history(caller: Caller, requestId: string): Promise<RequestEventsReply>;
}

/**
 * Asks the crawler service to start an on-demand crawl. Throws the AppError the crawler replied with
 * (UNKNOWN_ACCOUNT…), CRAWLER_UNAVAILABLE when no crawler answers, TIMEOUT when it answers too late.
 */
export interface CrawlStarter {
  startCrawl(request: StartCrawlRequest): Promise<StartCrawlReply>;
}

/** Counts requests per subject (a user, a source address); a port so routes can be tested without Redis. */
export interface RateLimiter {
  /** Records one request; `allowed: false` once the subject is over the limit for the current window. */
  hit(subject: string): Promise<{ allowed: true } | { allowed: false; retryAfterSeconds: number }>;
}

/** Where challenges live between the CLI and the browser (Redis in production). */
export interface ChallengeStore {
  save(challenge: Challenge): Promise<void>;
  get(token: string): Promise<Challenge | undefined>;
  /** Replaces `expected` by `next` only if the stored challenge is still exactly `expected`. */
  replace(expected: Challenge, next: Challenge): Promise<boolean>;
  /** Deletes the challenge; true only for the one caller that actually removed it. */
  take(token: string): Promise<boolean>;
}

/** One dependency the gateway cannot serve without. `check` rejects when it is not usable. */
export interface ReadinessProbe {
  name: string;
  check(): Promise<void>;
}

/** Who a set of session credentials acts as: what the demo federation stand-in asks STS GetCallerIdentity. */
export interface CallerIdentityLookup {
  whoAmI(credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string }): Promise<{
    arn: string;
    account: string;
  }>;
}
