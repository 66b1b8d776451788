import type {
  ExtendedRequestModel,
  NotificationChannel,
  NotificationTopic,
  PolicyRequestHistoryItem,
  RequestStatus,
} from '@rolecall/shared/contracts';
import type { CrossAccountType } from './cross-account.js';
import type { Write } from './policy-edit.js';
import type { PrincipalState, ResourceState, TargetState } from './target-state.js';

/**
 * The durable record of policy requests (DynamoDB, owned by this service). Every write is conditional, so
 * two copies of the service never both win: the loser gets `stale` and reloads.
 */
export interface RequestStore {
  get(requestId: string): Promise<ExtendedRequestModel | undefined>;
  /** Saves a new request (version 1) and its history; `exists` when the id is taken. */
  create(
    request: ExtendedRequestModel,
    history: readonly PolicyRequestHistoryItem[],
  ): Promise<'created' | 'exists'>;
  /**
   * Replaces the request if it is still at `expectedVersion`, with its history items, in one
   * transaction. `stale` when another write came first: nothing is written.
   */
  save(
    request: ExtendedRequestModel,
    expectedVersion: number,
    history: readonly PolicyRequestHistoryItem[],
  ): Promise<'saved' | 'stale'>;
  /** Requests in one status: `applying` ones at start-up, to resume or report them. */
  listByStatus(status: RequestStatus): Promise<ExtendedRequestModel[]>;
  /** Every request, to rebuild the list in Redis when it is empty. */
  listAll(): AsyncIterable<ExtendedRequestModel[]>;
  /** A request's history, oldest first. */
  history(requestId: string): Promise<PolicyRequestHistoryItem[]>;
}

/** What the resource cache holds, read through the cache service's typed reader. */
export interface ResourceLookup {
  /** The role, user, managed policy, bucket, queue or topic, or undefined when it is not cached. */
  get(arn: string): Promise<TargetState | undefined>;
  /** Cached resources of one type whose ARN matches an IAM wildcard pattern (for cross-account expansion). */
  matching(pattern: string, type: CrossAccountType): Promise<(ResourceState | PrincipalState)[]>;
}

/**
 * IAM, S3, SQS and SNS in one account, through its spoke role. `read` answers from AWS, not the cache, so
 * the applier plans against what is there now; `write` carries the planned writes out in order and
 * throws AppError (UPSTREAM_FAILED with AWS's error code and message in its context) at the first that
 * fails.
 */
export interface PrincipalWriter {
  read(accountId: string, arn: string): Promise<TargetState | undefined>;
  write(accountId: string, writes: readonly Write[]): Promise<void>;
}

/** Asks the crawler to recrawl what a change touched, so the cache and its change event show it at once. */
export interface Recrawler {
  refresh(accountId: string, arn: string): Promise<void>;
}

/**
 * Durable timers for expiries and the 24-hour warnings. A timer survives restarts, and with several copies
 * of the service it fires in exactly one (JetStream scheduled messages or a work queue under the hood).
 */
export interface Scheduler {
  /** Idempotent per (request, change, purpose): scheduling again moves nothing. */
  schedule(entry: {
    requestId: string;
    changeId: string;
    purpose: 'expire' | 'warn';
    at: string;
  }): Promise<void>;
  cancel(entry: { requestId: string; changeId: string; purpose: 'expire' | 'warn' }): Promise<void>;
}

/** One notification to send: what happened, to whom, and the link to the request's page. */
export interface Notification {
  topic: NotificationTopic;
  channel: NotificationChannel;
  request: ExtendedRequestModel;
  /** Emails (for email) or a mention list (Slack); the approvers for a new request, the requester otherwise. */
  recipients: readonly string[];
  url: string;
  text: string;
}

/**
 * Slack webhook or SMTP. A failure is thrown for the caller to retry and log; it never fails the request.
 */
export interface Notifier {
  send(notification: Notification): Promise<void>;
}

/** Publishes history items as `requests.policy-request.<kind>` on JetStream, deduplicated by their id. */
export interface EventPublisher {
  publish(items: readonly PolicyRequestHistoryItem[]): Promise<void>;
}
