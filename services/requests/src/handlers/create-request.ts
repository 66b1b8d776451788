import { randomUUID } from 'node:crypto';
import type {
  ActionResult,
  ChangeModel,
  ChangeProblem,
  CreateRequestReply,
  requestsOperations,
  RequestOf,
} from '@rolecall/shared/contracts';
import type { Logger } from '@rolecall/shared/log';
import { justificationRequired, matchAutoApproval } from '../domain/approval-rules.js';
import { authorizeAdminAutoApprove } from '../domain/authorization.js';
import {
  generateCrossAccountChanges,
  type CrossAccountOptions,
  type CrossAccountType,
  type ResourceIndex,
} from '../domain/cross-account.js';
import type { ResourceLookup, RoleDescriber } from '../domain/ports.js';
import { prepareChanges } from '../domain/prepare-changes.js';
import {
  managedDocumentsFrom,
  reviewChanges,
  reviewedRequest,
  withoutReview,
  withReviews,
} from '../domain/review-change.js';
import { approveAutomatically, newRequest } from '../domain/request-state.js';
import { prepareRoleChanges } from '../domain/role-lifecycle.js';
import type { PrincipalState, ResourceState, TargetState } from '../domain/target-state.js';
import { targetArnOf } from '../domain/target-state.js';
import { validateRequestChanges } from '../domain/validate-change.js';
import { resolveCloneSources } from './resolve-clone-sources.js';
import type { Workflow } from './workflow.js';

export interface CreateRequestOptions {
  workflow: Workflow;
  lookup: ResourceLookup;
  /** `gateway.publicUrl`: the request's page is `{publicUrl}/policies/request/{id}`. */
  publicUrl: string | undefined;
  crossAccount: Pick<CrossAccountOptions, 'wildcards' | 'maxExpansion'>;
  /** For create_role and delete_role: the hub role new roles trust by default, the roles never deleted. */
  roles?: {
    hubRoleArn: string | undefined;
    protectedRoleNames: readonly string[];
    /** Reads what a clone copies that the cache lacks. */
    describer?: RoleDescriber;
  };
  log: Logger;
  newId?: () => string;
}

type CreateData = RequestOf<(typeof requestsOperations)['create']>;

const refuse = (
  kind: 'forbidden' | 'invalid',
  code: string,
  message: string,
  problems?: ChangeProblem[],
): CreateRequestReply => ({
  outcome: 'refused',
  kind,
  code,
  message,
  ...(problems === undefined ? {} : { problems }),
});

/**
 * `POST /api/v2/request`: prepares the changes (a name for an unnamed inline policy, the current
 * document as `old_policy`), validates them against the cache, generates the other accounts' changes,
 * decides auto-approval, and saves the request (unless `dry_run`); an approved request is applied at once.
 * `admin_auto_approve` from a non-admin is refused before anything is read.
 */
export function createCreateRequestHandler(options: CreateRequestOptions) {
  const { workflow, lookup, log } = options;
  const newId = options.newId ?? randomUUID;

  return async ({ caller, body }: CreateData): Promise<CreateRequestReply> => {
    const admin = workflow.isAdmin(caller);
    if (body.admin_auto_approve === true) {
      const decision = authorizeAdminAutoApprove(admin);
      if (!decision.allowed) return refuse('forbidden', decision.code, decision.message);
    }
    const now = workflow.now();
    const id = newId();
    const cache = createPrefetchingIndex(lookup);

    // Findings and grant tables are Rolecall's to compute: whatever a client sent in their place goes.
    const asked = prepareRoleChanges(
      await resolveCloneSources(body.changes.changes.map(withoutReview), options.roles?.describer),
      {
        settings: workflow.settings()?.role_creation,
        hubRoleArn: options.roles?.hubRoleArn,
      },
    );
    await cache.load(asked.map(targetArnOf));
    const { prepared, problems } = await cache.settle(() => {
      const changes = prepareChanges(asked, cache.get, id);
      return {
        prepared: changes,
        problems: validateRequestChanges(changes, {
          lookup: cache.get,
          now,
          requestId: id,
          protectedRoleNames: options.roles?.protectedRoleNames ?? [],
        }),
      };
    });
    if (problems.length > 0) {
      return refuse('invalid', 'INVALID_CHANGES', problems.map((p) => p.message).join('; '), problems);
    }

    const generated = await cache.settle(() =>
      generateCrossAccountChanges(prepared, cache.index, { ...options.crossAccount, newChangeId: newId }),
    );
    if (generated.problems.length > 0) {
      return refuse(
        'invalid',
        'CROSS_ACCOUNT_REFUSED',
        generated.problems.map((p) => p.message).join('; '),
        generated.problems,
      );
    }
    const changes: ChangeModel[] = [...prepared, ...generated.changes];
    const accounts = await accountsOf(changes, workflow);
    const settings = workflow.settings();
    const managedDocument = managedDocumentsFrom(lookup);
    const reviews = await reviewChanges(changes, managedDocument);
    const auto = matchAutoApproval({
      rules: settings?.auto_approval_rules ?? [],
      principalArn: body.changes.changes[0]?.principal.principal_arn ?? '',
      changes,
      accountOf: (change) => accounts.get(targetArnOf(change)) ?? '',
      granted: reviews.map((r) => r?.newly_granted),
      justification: body.justification,
      now,
    });
    const rule = auto.matched ? auto.rule : undefined;
    if (justificationRequired(settings, rule) && !body.justification?.trim()) {
      return refuse(
        'invalid',
        'JUSTIFICATION_REQUIRED',
        'say why you need this: a justification is required',
      );
    }

    const requestUrl =
      options.publicUrl === undefined
        ? undefined
        : `${options.publicUrl.replace(/\/+$/, '')}/policies/request/${id}`;
    const created = newRequest({
      id,
      requester: caller,
      principal: { principal_type: 'AwsResource', principal_arn: prepared[0]?.principal.principal_arn ?? '' },
      changes,
      justification: body.justification,
      crossAccount: generated.changes.length > 0 || new Set(accounts.values()).size > 1,
      adminAutoApprove: body.admin_auto_approve === true,
      requestUrl,
      now,
    });
    const results: ActionResult[] = generated.notices.map((n) => ({
      status: 'success',
      message: n.message,
      visible: true,
    }));
    if (body.dry_run === true) {
      return {
        outcome: 'done',
        response: {
          errors: 0,
          request_created: false,
          action_results: results,
          extended_request: {
            ...created.request,
            changes: { changes: withReviews(created.request.changes.changes, reviews) },
          },
        },
      };
    }

    await workflow.create(created);
    let request = created.request;
    const approver =
      body.admin_auto_approve === true
        ? ({ kind: 'admin', user: caller.user } as const)
        : rule === undefined
          ? undefined
          : ({ kind: 'rule', name: rule.name } as const);
    if (approver !== undefined) {
      const approved = approveAutomatically(request, approver, { now: workflow.now(), newId });
      if ((await workflow.save(approved, request.version)) === 'saved') {
        request = await workflow.apply(approved.request);
      }
    }
    log.info(
      { policyRequestId: id, requester: caller.user, status: request.request_status },
      'request created',
    );
    return {
      outcome: 'done',
      response: {
        errors: request.request_status === 'failed' ? 1 : 0,
        request_created: true,
        request_id: id,
        ...(requestUrl === undefined ? {} : { request_url: requestUrl }),
        action_results: [
          ...results,
          { status: 'success', message: `request ${id} is ${request.request_status}` },
        ],
        extended_request: await reviewedRequest(request, managedDocument),
      },
    };
  };
}

async function accountsOf(changes: readonly ChangeModel[], workflow: Workflow): Promise<Map<string, string>> {
  const arns = [...new Set(changes.map(targetArnOf))];
  const accounts = await Promise.all(arns.map((arn) => workflow.accountOf(arn)));
  return new Map(arns.flatMap((arn, i) => (accounts[i] === undefined ? [] : [[arn, accounts[i]]])));
}

/**
 * The domain's checks read the cache synchronously; this reads ahead what they ask for. `settle` runs a
 * pure function, fetches what it asked for and did not find, and runs it again until it asks for nothing
 * new: the same answer as a synchronous cache, with every read done in parallel rounds.
 */
function createPrefetchingIndex(lookup: ResourceLookup) {
  const states = new Map<string, TargetState | undefined>();
  const patterns = new Map<string, (ResourceState | PrincipalState)[]>();
  const missingArns = new Set<string>();
  const missingPatterns = new Map<string, { pattern: string; type: CrossAccountType }>();

  const get = (arn: string): TargetState | undefined => {
    if (!states.has(arn)) missingArns.add(arn);
    return states.get(arn);
  };
  const index: ResourceIndex = {
    byArn(arn) {
      const state = get(arn);
      return state?.kind === 'principal' || state?.kind === 'resource' ? state : undefined;
    },
    matching(pattern, type) {
      const key = `${type} ${pattern}`;
      if (!patterns.has(key)) missingPatterns.set(key, { pattern, type });
      return patterns.get(key) ?? [];
    },
  };
  const load = async (arns: readonly string[]) => {
    const wanted = [...new Set(arns)].filter((arn) => !states.has(arn));
    const found = await Promise.all(wanted.map((arn) => lookup.get(arn)));
    wanted.forEach((arn, i) => states.set(arn, found[i]));
  };
  const fetchMissing = async (): Promise<boolean> => {
    const arns = [...missingArns];
    const wanted = [...missingPatterns];
    missingArns.clear();
    missingPatterns.clear();
    if (arns.length === 0 && wanted.length === 0) return false;
    await load(arns);
    const matched = await Promise.all(wanted.map(([, w]) => lookup.matching(w.pattern, w.type)));
    wanted.forEach(([key], i) => patterns.set(key, matched[i] ?? []));
    return true;
  };
  return {
    get,
    index,
    load,
    async settle<T>(run: () => T): Promise<T> {
      for (let round = 0; ; round += 1) {
        const result = run();
        if (!(await fetchMissing()) || round >= 4) return result;
      }
    },
  };
}
