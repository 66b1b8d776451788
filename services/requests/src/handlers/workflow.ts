import type {
  ApprovalExplanation,
  ExtendedRequestModel,
  PolicyRequestHistoryItem,
  PolicyRequestSettings,
} from '@rolecall/shared/contracts';
import { AppError, isAppError } from '@rolecall/shared/errors';
import { accountOfArn } from '@rolecall/shared/iam';
import type { Logger } from '@rolecall/shared/log';
import { isAdmin } from '../domain/admin.js';
import { evaluateApproval, type Identity, type TouchedResource } from '../domain/approval-rules.js';
import type { AuthorizationFacts } from '../domain/authorization.js';
import type {
  ChangeWriter,
  RecrawlTarget,
  Recrawler,
  RequestEventPublisher,
  RequestStore,
  ResourceLookup,
} from '../domain/ports.js';
import { planApply } from '../domain/policy-edit.js';
import {
  changesToApply,
  recordApplyResult,
  SYSTEM_ACTOR,
  type ApplyResult,
  type Step,
} from '../domain/request-state.js';
import { targetArnOf, type TargetState } from '../domain/target-state.js';

/** What every handler of the service works with. */
export interface WorkflowDeps {
  store: RequestStore;
  lookup: ResourceLookup;
  writer: ChangeWriter;
  recrawler: Recrawler;
  events: RequestEventPublisher;
  /** The `policy_requests` section of the dynamic config as last loaded. */
  settings: () => PolicyRequestSettings | undefined;
  adminGroups: readonly string[];
  lowercaseGroups: boolean;
  log: Logger;
  now?: () => Date;
  /** Waits between recrawls asked again while an older crawl of the same account and type still runs. */
  recrawlRetryDelaysMs?: readonly number[];
}

export interface Workflow {
  now(): Date;
  /** The `policy_requests` section of the dynamic config as last loaded. */
  settings(): PolicyRequestSettings | undefined;
  isAdmin(identity: Identity): boolean;
  /** The request's touched principal and resources, as the cache holds them (for the approval rules). */
  touchedOf(request: ExtendedRequestModel): Promise<TouchedResource[]>;
  explain(request: ExtendedRequestModel, touched: readonly TouchedResource[]): ApprovalExplanation;
  facts(
    request: ExtendedRequestModel,
    actor: Identity,
    touched: readonly TouchedResource[],
  ): AuthorizationFacts;
  /**
   * Saves a step over `expectedVersion`, then its history, then announces it. `stale` when another
   * write came first: nothing was written.
   */
  save(step: Step, expectedVersion: number): Promise<'saved' | 'stale'>;
  /** Saves a new request (version 1) and announces its first steps. */
  create(step: Step): Promise<void>;
  /** Applies every change still to apply of an `applying` request; the request as it ends up. */
  apply(request: ExtendedRequestModel): Promise<ExtendedRequestModel>;
  /** Asks for a recrawl of what changed; never throws (a recrawl that cannot be asked is logged). */
  recrawl(targets: readonly RecrawlTarget[]): Promise<void>;
  /** The account a change's target lives in (the cache knows it for S3 buckets, whose ARN has none). */
  accountOf(arn: string): Promise<string | undefined>;
  /** Waits for the recrawls still being asked again. */
  settled(): Promise<void>;
}

const DEFAULT_RECRAWL_RETRIES_MS = [1_000, 2_000, 4_000, 8_000, 15_000];

export function createWorkflow(deps: WorkflowDeps): Workflow {
  const { store, lookup, writer, recrawler, events, log } = deps;
  const now = deps.now ?? (() => new Date());
  const retries = deps.recrawlRetryDelaysMs ?? DEFAULT_RECRAWL_RETRIES_MS;
  const pending = new Set<Promise<void>>();

  const accountOf = async (arn: string): Promise<string | undefined> =>
    accountOfArn(arn) || (await lookup.get(arn))?.accountId;

  const publish = async (history: readonly PolicyRequestHistoryItem[]) => {
    try {
      await events.publish(history);
    } catch (error) {
      // The step is saved with its history (one transaction); the list and notifications miss it until the next step.
      log.error({ err: error, policyRequestId: history[0]?.requestId }, 'request events not published');
    }
  };

  const save = async (step: Step, expectedVersion: number): Promise<'saved' | 'stale'> => {
    try {
      await store.update(step.request, expectedVersion, step.history);
    } catch (error) {
      if (isAppError(error) && error.code === 'CONFLICT') return 'stale';
      throw error;
    }
    await publish(step.history);
    return 'saved';
  };

  /** Asks again, in the background, while a crawl that started before the write still holds its slot. */
  const recrawlUntilQueued = async (targets: readonly RecrawlTarget[], attempt: number): Promise<void> => {
    const replies = await recrawler.recrawl(targets, SYSTEM_ACTOR);
    const busy = new Set(
      replies.flatMap((r) => r.jobs.filter((j) => j.state === 'already_queued').map((j) => j.accountId)),
    );
    const again = targets.filter((t) => busy.has(t.accountId));
    const delay = retries[attempt];
    if (again.length === 0 || delay === undefined) return;
    const task = new Promise<void>((resolve) => setTimeout(resolve, delay))
      .then(() => recrawlUntilQueued(again, attempt + 1))
      .catch((error: unknown) => log.warn({ err: error }, 'recrawl not asked again'))
      .finally(() => pending.delete(task));
    pending.add(task);
  };

  const recrawl = async (targets: readonly RecrawlTarget[]) => {
    if (targets.length === 0) return;
    try {
      await recrawlUntilQueued(targets, 0);
    } catch (error) {
      log.warn({ err: error, targets }, 'recrawl not asked; the next scheduled crawl shows the change');
    }
  };

  const applyOne = async (
    request: ExtendedRequestModel,
    changeId: string,
  ): Promise<{ result: ApplyResult; target?: RecrawlTarget }> => {
    const index = request.changes.changes.findIndex((c) => c.id === changeId);
    const change = request.changes.changes[index];
    if (change === undefined) throw new AppError('INTERNAL', `request ${request.id} lost change ${changeId}`);
    const arn = targetArnOf(change);
    const accountId = await accountOf(arn);
    if (accountId === undefined) {
      return {
        result: {
          ok: false,
          error: { code: 'ACCOUNT_UNKNOWN', message: `the account of ${arn} is not known to Rolecall` },
        },
      };
    }
    try {
      const state: TargetState = await writer.readCurrent(change, accountId);
      const plan = planApply(state, change, { requestId: request.id, changeIndex: index });
      if (!plan.ok) return { result: { ok: false, error: plan.problem } };
      for (const write of plan.plan.writes) await writer.write(write, accountId);
      return { result: { ok: true, grantedSids: plan.plan.grantedSids }, target: { arn, accountId } };
    } catch (error) {
      log.warn({ err: error, policyRequestId: request.id, changeId }, 'change not applied');
      return {
        result: {
          ok: false,
          error: isAppError(error)
            ? { code: awsCodeOf(error), message: error.message }
            : { code: 'INTERNAL', message: (error as Error).message },
        },
        target: { arn, accountId },
      };
    }
  };

  const apply = async (start: ExtendedRequestModel): Promise<ExtendedRequestModel> => {
    let request = start;
    const touched: RecrawlTarget[] = [];
    try {
      for (;;) {
        const next = changesToApply(request)[0];
        if (next?.id === undefined) return request;
        const { result, target } = await applyOne(request, next.id);
        if (target) touched.push(target);
        const step = recordApplyResult(request, next.id, result, now());
        if (!step.ok) {
          log.error({ policyRequestId: request.id, refusal: step.refusal }, 'apply result not recordable');
          return request;
        }
        if ((await save(step, request.version)) === 'saved') {
          request = step.request;
          continue;
        }
        // Someone else saved the request meanwhile (another copy resuming it, a comment): go on from theirs.
        const reloaded = await store.get(request.id);
        if (reloaded === undefined) return request;
        request = reloaded;
      }
    } finally {
      await recrawl(touched);
    }
  };

  const touchedOf = async (request: ExtendedRequestModel): Promise<TouchedResource[]> => {
    const arns = [...new Set(request.changes.changes.map(targetArnOf))];
    const states = await Promise.all(arns.map((arn) => lookup.get(arn)));
    return arns.map((arn, i) => {
      const state = states[i];
      return { arn, accountId: state?.accountId ?? (accountOfArn(arn) || ''), tags: state?.tags ?? {} };
    });
  };

  const explain = (request: ExtendedRequestModel, touched: readonly TouchedResource[]) =>
    evaluateApproval({
      settings: deps.settings(),
      adminGroups: deps.adminGroups,
      requester: request.requester_email,
      touched,
      approvals: request.approvals,
      autoApprovedBy: request.reviewer?.startsWith('rule:') ? request.reviewer.slice(5) : undefined,
    });

  return {
    now,
    settings: deps.settings,
    isAdmin: (identity) => isAdmin(identity, deps.adminGroups, deps.lowercaseGroups),
    touchedOf,
    explain,
    facts: (request, actor, touched) => ({
      actor,
      isAdmin: isAdmin(actor, deps.adminGroups, deps.lowercaseGroups),
      requesterEmail: request.requester_email,
      explanation: explain(request, touched),
    }),
    save,
    async create(step) {
      await store.create(step.request, step.history);
      await publish(step.history);
    },
    apply,
    recrawl,
    accountOf,
    async settled() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };
}

/** AWS's own error name where the adapter kept it (`MalformedPolicyDocument`), else Rolecall's code. */
function awsCodeOf(error: AppError): string {
  const aws = (error.context as Record<string, unknown> | undefined)?.awsError;
  return typeof aws === 'string' ? aws : error.code;
}
