import { checkPolicy, newlyGranted, type PolicyKind } from '@rolecall/policy';
import type {
  ChangeModel,
  ExtendedRequestModel,
  NewlyGranted,
  PolicyFinding,
  PolicyModel,
} from '@rolecall/shared/contracts';
import { documentOf } from './policy-edit.js';

/** What a reviewer reads beside a change's document: its policy check and what it newly grants. */
export interface ChangeReview {
  findings: PolicyFinding[];
  newly_granted: NewlyGranted;
}

/** The document a change puts in place, the one it replaces (null: none) and which kind of policy it is. */
interface Documents {
  document: unknown;
  before: unknown;
  kind: PolicyKind;
}

/**
 * Which documents a change compares. `old_policy` is the document the cache held when the request was
 * made (prepare-changes sets it), so the table stays what was asked for after the change is applied. A
 * new inline policy or managed policy replaces nothing; a detach withdraws the whole `old_policy`.
 */
function documentsOf(change: ChangeModel): Documents | undefined {
  // Text that does not parse is checked as it is, so its finding says so.
  const policy = (p: PolicyModel | undefined) =>
    p === undefined ? null : (documentOf(p) ?? p.policy_document);
  switch (change.change_type) {
    case 'inline_policy':
      if (change.action === 'detach') {
        return change.old_policy === undefined
          ? undefined
          : { document: null, before: policy(change.old_policy), kind: 'identity' };
      }
      return {
        document: policy(change.policy),
        before: change.new === false ? policy(change.old_policy) : null,
        kind: 'identity',
      };
    case 'managed_policy_resource':
      return {
        document: policy(change.policy),
        before: change.new === false ? policy(change.old_policy) : null,
        kind: 'identity',
      };
    case 'assume_role_policy':
    case 'sts_resource_policy':
      return { document: policy(change.policy), before: policy(change.old_policy), kind: 'trust' };
    case 'resource_policy':
      return { document: policy(change.policy), before: policy(change.old_policy), kind: 'resource' };
    default:
      return undefined;
  }
}

/**
 * The review of a change that carries a policy document; undefined for the others (managed policy and
 * boundary attachments, tags), whose grant is a document the change does not hold.
 */
export async function reviewChange(change: ChangeModel): Promise<ChangeReview | undefined> {
  const docs = documentsOf(change);
  if (docs === undefined) return undefined;
  const [findings, granted] = await Promise.all([
    docs.document === null ? Promise.resolve([]) : checkPolicy(docs.document, docs.kind),
    newlyGranted(docs.before, docs.document),
  ]);
  return { findings, newly_granted: granted };
}

/** A change without review fields: they are computed by Rolecall, never taken from a client or stored. */
export function withoutReview<C extends ChangeModel>(change: C): C {
  if (!('findings' in change) && !('newly_granted' in change)) return change;
  const copy = { ...change };
  delete copy.findings;
  delete copy.newly_granted;
  return copy;
}

/** The changes with their reviews, in the same order (given reviews are reused, else computed). */
export async function withReviews(
  changes: readonly ChangeModel[],
  reviews?: readonly (ChangeReview | undefined)[],
): Promise<ChangeModel[]> {
  const computed = reviews ?? (await Promise.all(changes.map(reviewChange)));
  return changes.map((change, i) => {
    const review = computed[i];
    return review === undefined ? withoutReview(change) : { ...withoutReview(change), ...review };
  });
}

/** The request as it is shown: every change with its review. */
export async function reviewedRequest(request: ExtendedRequestModel): Promise<ExtendedRequestModel> {
  return { ...request, changes: { changes: await withReviews(request.changes.changes) } };
}
