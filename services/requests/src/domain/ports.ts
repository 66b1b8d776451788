import type {
  ChangeModel,
  ExtendedRequestModel,
  PolicyRequestHistoryItem,
  RequestListItem,
  RequestStatus,
  StartCrawlReply,
} from '@rolecall/shared/contracts';
import type { CrossAccountType } from './cross-account.js';
import type { Write } from './policy-edit.js';
import type { PrincipalState, ResourceState, TargetState } from './target-state.js';

/*
 * The ports the service needs; adapters/ implements each (DynamoDB, the spoke roles, NATS, Redis).
 */

/** Which requests a list asks for, newest first; `cursor` is a page's `nextCursor`. */
export interface RequestListFilter {
  requester?: string | undefined;
  status?: RequestStatus | undefined;
  limit: number;
  cursor?: string | undefined;
}

export interface RequestPage {
  items: ExtendedRequestModel[];
  /** Null on the last page. */
  nextCursor: string | null;
}

/** An applied change whose grant has reached its end, with the request it belongs to. */
export interface DueExpiry {
  request: ExtendedRequestModel;
  change: ChangeModel & { id: string; expires_at: string };
}

/**
 * The durable record of policy requests and their history. Every write of a request is conditional:
 * `create` on the id being new, `update` on the stored version being the one the caller read, so two
 * writers racing on one version leave exactly one write and the other a CONFLICT. `list`,
 * `listUnfinished` and `dueExpiries` read secondary indexes, which trail a write by a moment: act on a
 * request found there only after `get` (consistent) and with its version.
 */
export interface RequestStore {
  /** The request as last saved (a consistent read), or undefined. */
  get(id: string): Promise<ExtendedRequestModel | undefined>;
  /** Saves a new request with the history of its creation, at once; CONFLICT if one with its id exists. */
  create(request: ExtendedRequestModel, history?: readonly PolicyRequestHistoryItem[]): Promise<void>;
  /**
   * Replaces the request stored at `expectedVersion` with `request` (whose version must be the next);
   * CONFLICT naming the stale and the current version if it moved on, NOT_FOUND if it does not exist.
   * `history`, the items of the step that made `request`, is written in the same transaction. A refused
   * write writes nothing.
   */
  update(
    request: ExtendedRequestModel,
    expectedVersion: number,
    history?: readonly PolicyRequestHistoryItem[],
  ): Promise<void>;
  /** Requests newest first, by requester and/or status, a page at a time. */
  list(filter: RequestListFilter): Promise<RequestPage>;
  /** Every request, page by page (rebuilding the request list). */
  all(): AsyncIterable<ExtendedRequestModel[]>;
  /** Requests whose apply was started and not finished (status `applying`): to resume at start-up. */
  listUnfinished(): Promise<ExtendedRequestModel[]>;
  /** Applied changes whose expiry is at or before `now`, not yet expired. */
  dueExpiries(now: Date): Promise<DueExpiry[]>;
  /** A request's history in the order it happened. */
  history(id: string): Promise<PolicyRequestHistoryItem[]>;
  /** Adds history items; one already stored (same request, version, type and change) is left as it is. */
  appendHistory(items: readonly PolicyRequestHistoryItem[]): Promise<void>;
}

/** Which grant's removal a claim is for: one change of one request. */
export interface ExpiryKey {
  requestId: string;
  changeId: string;
}

/** What a claim attempt found. `done`: another process (or this one, earlier) already removed it. */
export type ClaimOutcome = 'claimed' | 'held' | 'done';

/**
 * Exactly one process removes an expired grant: it claims the expiry with a lease, removes the grant,
 * then marks it done. A process that dies mid-way loses its lease when it runs out, and another claims
 * it; the removal itself reads AWS first, so the second attempt removes only what is still there.
 */
export interface ExpiryClaims {
  /** Takes the expiry for `leaseMs` when nobody holds it and it is not done. */
  claim(key: ExpiryKey, leaseMs: number): Promise<ClaimOutcome>;
  /** Lengthens this process's lease; false when it no longer holds it (the lease ran out and was taken). */
  renew(key: ExpiryKey, leaseMs: number): Promise<boolean>;
  /** Gives the expiry back (the removal failed), so another process may try at once. */
  release(key: ExpiryKey): Promise<void>;
  /** Marks the removal done: nobody claims it again. False when this process no longer held it. */
  complete(key: ExpiryKey): Promise<boolean>;
}

/** `applied`: AWS was written; `unchanged`: AWS already was as asked, and nothing was written. */
export interface WriteOutcome {
  outcome: 'applied' | 'unchanged';
}

/**
 * Carries out the writes the domain planned, in the account that holds what they change, through its
 * spoke role. Each write reads the current AWS state first and writes only when it differs, so a write
 * repeated (after a crash, by a second approver) changes nothing. AWS refusals are AppErrors whose
 * context keeps the AWS error name (`awsError`) and whose message keeps AWS's.
 */
export interface ChangeWriter {
  /** What AWS holds now for the target of `change`, in the domain's shape (for planApply/planExpiry). */
  readCurrent(change: ChangeModel, accountId: string): Promise<TargetState>;
  write(write: Write, accountId: string): Promise<WriteOutcome>;
}

/** What a role has that the cache does not hold (IAM's account-wide listing omits them). */
export interface RoleDescription {
  description?: string | undefined;
  maxSessionDuration?: number | undefined;
}

/** Reads a role's description and session duration from AWS, for a clone; undefined when it is gone. */
export interface RoleDescriber {
  describe(roleArn: string, accountId: string): Promise<RoleDescription | undefined>;
}

/** Something a change touched: its ARN and the account it is in (S3 ARNs name none). */
export interface RecrawlTarget {
  arn: string;
  accountId: string;
}

/**
 * Asks for an immediate crawl of what applied changes touched, so the cache (its change event, the
 * role and resource routes) shows them within seconds instead of at the next scheduled crawl.
 */
export interface Recrawler {
  /** One crawl of each (account, crawl type) the targets fall in; resolves once the crawler queued them. */
  recrawl(targets: readonly RecrawlTarget[], requestedBy: string): Promise<StartCrawlReply[]>;
}

/** Announces each step of a request on the bus (`requests.policy-request.<kind>`). */
export interface RequestEventPublisher {
  /** Resolves once JetStream stored every item; a step published again is stored once. */
  publish(items: readonly PolicyRequestHistoryItem[]): Promise<void>;
}

/** A row of the list with the account of its principal, which the list filters on. */
export type RequestListRow = RequestListItem & { account_id: string };

/** ConsoleMe's list filters, each optional; `principalArnContains` is a case-insensitive substring. */
export interface RequestListQuery {
  status?: RequestStatus | undefined;
  requester?: string | undefined;
  accountId?: string | undefined;
  principalArnContains?: string | undefined;
  limit: number;
  /** A page's `nextCursor`. */
  cursor?: string | undefined;
}

export interface RequestListPage {
  items: RequestListRow[];
  nextCursor: string | null;
}

/**
 * The request list the API reads: one row per request, newest first, kept from the request events and
 * rebuilt from the durable store when Redis has lost it. A row only ever moves to a newer version, so
 * events handled late or twice, and a rebuild racing them, never bring an older state back.
 */
export interface RequestList {
  /** Writes the request's row; false when the list already has this version or a newer one. */
  upsert(request: ExtendedRequestModel): Promise<boolean>;
  list(query: RequestListQuery): Promise<RequestListPage>;
  /**
   * When the list is not marked complete (Redis was emptied, or never filled), fills it from `all`
   * (every request, page by page) under a lock, so one process does it; true when this call did.
   */
  rebuildIfEmpty(all: () => AsyncIterable<ExtendedRequestModel[]>): Promise<boolean>;
}

/** What the resource cache holds, read through the cache service's typed reader. */
export interface ResourceLookup {
  /** The role, user, managed policy, bucket, queue or topic, or undefined when it is not cached. */
  get(arn: string): Promise<TargetState | undefined>;
  /** Cached resources of one type whose ARN matches an IAM wildcard pattern (for cross-account expansion). */
  matching(pattern: string, type: CrossAccountType): Promise<(ResourceState | PrincipalState)[]>;
}
