import type { Channel, CredentialAuditEvent } from '@rolecall/shared/contracts';
import type { LoadedDynamicConfig } from '@rolecall/shared/dynamic-config';
import type { EligibleGrant } from './authorization.js';
import type { SessionCredentials } from './console-url.js';
import type { KnownRole, RoleFacts } from './roles.js';

/** The authorization mapping as every broker copy and the gateway share it. */
export interface AuthorizationMapping {
  /** Roles the identities (a user and their groups, normalized) may use on the channel. */
  eligible(identities: readonly string[], channel: Channel): Promise<EligibleGrant[]>;
  /** Cached roles by ARN, case-insensitively; roles not in the cache are absent from the map. */
  describeRoles(arns: readonly string[]): Promise<Map<string, KnownRole>>;
  /** The reverse map: who may use the role, on any channel. */
  roleAccess(roleArn: string): Promise<{ known: boolean; identities: string[] }>;
}

/** What one credential request reads before STS is called: its eligible roles and the facts of the ARNs it names. */
export interface IssuanceRead {
  eligible: EligibleGrant[];
  /** Cached roles among the ARNs named, by lower-case ARN. */
  facts: Map<string, KnownRole>;
}

/**
 * A credential request's reads in one Redis round trip: it charges the caller's per-user rate limit when
 * given one (RATE_LIMITED, with `retryAfterSeconds`, when over it) and reads the caller's eligible roles and the
 * named ARNs' facts, all in one MULTI. `arns` may be empty (only the charge and the eligible roles).
 */
export interface IssuanceReader {
  readForIssuance(request: {
    user: string;
    identities: readonly string[];
    channel: Channel;
    arns: readonly string[];
    /** Requests the user may make per minute; absent: nothing is charged. */
    ratePerMinute?: number | undefined;
  }): Promise<IssuanceRead>;
}

/** Keeps the mapping current: one role at a time from change events, the group mapping from config events. */
export interface AuthorizationMaintainer {
  /** Replaces what one role grants; `after` absent means the role is gone. */
  applyRole(arn: string, after: RoleFacts | undefined): Promise<void>;
  applyConfig(config: LoadedDynamicConfig): Promise<void>;
  /** Builds the whole mapping if it is missing (first start, or Redis lost it). */
  ensureBuilt(): Promise<void>;
}

/** Every cached IAM role, for a full build. */
export interface RoleSource {
  listRoles(): Promise<RoleFacts[]>;
}

export interface AssumeRoleRequest {
  roleArn: string;
  sessionName: string;
  sourceIdentity: string;
  durationSeconds: number;
  /** Session policy JSON (IP restriction), when any. */
  policy?: string;
}

/**
 * Assumes a user's role with the hub credentials. Throws AppError: VALIDATION_FAILED with
 * `context.reason = 'duration_exceeds_maximum'` when the role's maximum is lower than asked, else
 * UPSTREAM_FAILED.
 */
export interface CredentialIssuer {
  assumeRole(request: AssumeRoleRequest): Promise<SessionCredentials>;
}

/** The federation endpoint's getSigninToken. */
export interface SigninTokenSource {
  getSigninToken(credentials: SessionCredentials): Promise<string>;
}

/** Account id → friendly name, for the eligible-roles list. */
export interface AccountDirectory {
  names(accountIds: readonly string[]): Promise<Map<string, string>>;
}

/**
 * Somewhere an audit record becomes durable: the AUDIT stream (persisted later by the audit consumer), or
 * the audit table directly. `record` resolves only once the record is durable there.
 */
export interface AuditSink {
  /** Names the sink in logs. */
  name: string;
  record(event: CredentialAuditEvent): Promise<void>;
}

export interface AuditQuery {
  user?: string | undefined;
  role?: string | undefined;
  since?: string | undefined;
  cursor?: string | undefined;
  limit: number;
}

/** The durable audit record (DynamoDB). */
export interface AuditStore {
  /**
   * Writes one record, keyed by its id. A `pending` record (an intent) never replaces what is there, so
   * an intent that arrives after its completion (a redelivery, or a completion written directly while
   * JetStream was down) changes nothing; a completion always replaces its intent.
   */
  put(event: CredentialAuditEvent): Promise<void>;
  query(query: AuditQuery): Promise<{ items: CredentialAuditEvent[]; nextCursor: string | null }>;
}
