import { checkPolicy, newlyGranted, type PolicyKind } from '@rolecall/policy';
import type {
  ChangeModel,
  ExtendedRequestModel,
  NewlyGranted,
  PolicyFinding,
  PolicyModel,
} from '@rolecall/shared/contracts';
import { documentOf } from './policy-edit.js';
import type { ResourceLookup } from './ports.js';

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
 * new inline policy or managed policy replaces nothing; a detach withdraws the whole `old_policy`. A
 * managed policy attachment grants (or, detached, withdraws) the policy's document as the cache holds it,
 * `attached`; undefined when the cache has none (AWS managed policies are not crawled).
 */
function documentsOf(change: ChangeModel, attached: unknown): Documents | undefined {
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
    case 'managed_policy':
      if (attached === undefined) return undefined;
      return change.action === 'attach'
        ? { document: attached, before: null, kind: 'identity' }
        : { document: null, before: attached, kind: 'identity' };
    default:
      return undefined;
  }
}

/**
 * The review of a change that carries a policy document, or attaches one the cache holds; undefined for
 * the others (boundaries, which grant nothing, tags, AWS managed policies).
 */
export async function reviewChange(
  change: ChangeModel,
  attached?: unknown,
): Promise<ChangeReview | undefined> {
  const docs = documentsOf(change, attached);
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

/** The cached document of a customer managed policy, by ARN (undefined when the cache has none). */
export type ManagedPolicyDocuments = (arn: string) => Promise<unknown>;

/** Reviews of each change, in order, reading the documents that managed policy changes attach. */
export async function reviewChanges(
  changes: readonly ChangeModel[],
  managedDocument: ManagedPolicyDocuments,
): Promise<(ChangeReview | undefined)[]> {
  return Promise.all(
    changes.map(async (change) =>
      reviewChange(
        change,
        change.change_type === 'managed_policy' ? await managedDocument(change.arn) : undefined,
      ),
    ),
  );
}

/** The changes with the given reviews (same order); review fields without one are dropped. */
export function withReviews(
  changes: readonly ChangeModel[],
  reviews: readonly (ChangeReview | undefined)[],
): ChangeModel[] {
  return changes.map((change, i) => {
    const review = reviews[i];
    return review === undefined ? withoutReview(change) : { ...withoutReview(change), ...review };
  });
}

/** The request as it is shown: every change with its review. */
export async function reviewedRequest(
  request: ExtendedRequestModel,
  managedDocument: ManagedPolicyDocuments,
): Promise<ExtendedRequestModel> {
  const changes = request.changes.changes;
  const reviews = await reviewChanges(changes, managedDocument);
  return { ...request, changes: { changes: withReviews(changes, reviews) } };
}

/** The managed policy documents a lookup of the cache holds. */
export function managedDocumentsFrom(lookup: ResourceLookup): ManagedPolicyDocuments {
  return async (arn) => {
    const state = await lookup.get(arn);
    return state?.kind === 'managed_policy' ? (state.document ?? undefined) : undefined;
  };
}
