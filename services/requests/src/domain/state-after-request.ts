import type { ExtendedRequestModel } from '@rolecall/shared/contracts';
import { accountOfArn } from '@rolecall/shared/iam';
import { planApply } from './policy-edit.js';
import { targetArnOf, type TargetState } from './target-state.js';

/** What a request's changes make of the cached state: the new state of each target, by ARN. */
export interface StateAfterRequest {
  overlay: Map<string, TargetState>;
  /** Changes that could not be applied to the cached state, said for the answer's `missing`. */
  notes: string[];
}

/**
 * Applies a request's changes to the cached state with the same planner the apply uses (planApply), in
 * the request's order, each on the state the earlier ones left: cancelled and expired changes are left
 * out, applied ones plan nothing new on a cache that already has them. Nothing is written anywhere.
 */
export async function stateAfterRequest(
  request: ExtendedRequestModel,
  current: (arn: string) => Promise<TargetState | undefined>,
): Promise<StateAfterRequest> {
  const overlay = new Map<string, TargetState>();
  const notes: string[] = [];
  for (const [changeIndex, change] of request.changes.changes.entries()) {
    if (change.status === 'cancelled' || change.status === 'expired') continue;
    const arn = targetArnOf(change);
    let state = overlay.get(arn) ?? (await current(arn));
    if (state === undefined && change.change_type === 'managed_policy_resource') {
      // A managed policy the request creates: nothing cached yet.
      state = {
        kind: 'managed_policy',
        arn,
        accountId: accountOfArn(arn),
        awsManaged: false,
        document: undefined,
        tags: {},
      };
    }
    if (state === undefined) {
      notes.push(
        `change ${changeIndex} of request ${request.id} edits ${arn}, which is not in the cache: left out`,
      );
      continue;
    }
    const outcome = planApply(state, change, { requestId: request.id, changeIndex });
    if (!outcome.ok) {
      notes.push(
        `change ${changeIndex} of request ${request.id} could not be applied: ${outcome.problem.message}`,
      );
      continue;
    }
    overlay.set(arn, outcome.plan.target);
  }
  return { overlay, notes };
}
