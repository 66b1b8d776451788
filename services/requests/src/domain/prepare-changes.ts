import type { ChangeModel } from '@rolecall/shared/contracts';
import { documentOf } from './policy-edit.js';
import { targetArnOf, type TargetState } from './target-state.js';

/**
 * The requester's changes as they are validated and saved: an inline policy without a name gets one
 * that the principal does not have yet, and every change that edits a document carries the document as
 * it is now (`old_policy`), the base its expiry and the reviewers' diff are computed against. A change
 * whose target is not cached is left as it is: validation reports it.
 */
export function prepareChanges(
  changes: readonly ChangeModel[],
  lookup: (arn: string) => TargetState | undefined,
  requestId: string,
): ChangeModel[] {
  const taken = new Set<string>();
  return changes.map((change, index) => {
    const target = lookup(targetArnOf(change));
    switch (change.change_type) {
      case 'inline_policy': {
        const existing = target?.kind === 'principal' ? target.inlinePolicies : {};
        let named = change;
        if (change.policy_name === undefined) {
          const base = `rolecall-${requestId.replace(/[^A-Za-z0-9]/g, '').slice(0, 8)}-${index}`;
          let name = base;
          for (let n = 1; name in existing || taken.has(name); n += 1) name = `${base}-${n}`;
          named = { ...change, policy_name: name };
        }
        taken.add(named.policy_name ?? '');
        const current = named.policy_name === undefined ? undefined : existing[named.policy_name];
        return named.old_policy === undefined && current !== undefined && named.new === false
          ? { ...named, old_policy: { policy_document: asDocument(current) } }
          : named;
      }
      case 'assume_role_policy':
        return change.old_policy === undefined && target?.kind === 'principal'
          ? withOld(change, target.assumeRolePolicy)
          : change;
      case 'resource_policy':
      case 'sts_resource_policy':
        return change.old_policy === undefined && target !== undefined
          ? withOld(
              change,
              target.kind === 'resource'
                ? target.policy
                : target.kind === 'principal'
                  ? target.assumeRolePolicy
                  : undefined,
            )
          : change;
      case 'managed_policy_resource':
        return change.old_policy === undefined && target?.kind === 'managed_policy'
          ? withOld(change, target.document)
          : change;
      default:
        return change;
    }
  });
}

const asDocument = (value: unknown): Record<string, unknown> =>
  documentOf({ policy_document: value as Record<string, unknown> }) ?? {};

function withOld<C extends ChangeModel>(change: C, document: unknown): C {
  if (document === undefined || document === null) return change;
  return { ...change, old_policy: { policy_document: asDocument(document) } };
}
