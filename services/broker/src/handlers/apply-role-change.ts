import type { ResourceChange } from '@rolecall/shared/contracts';
import type { AuthorizationMaintainer } from '../domain/ports.js';
import { toRoleFacts } from '../domain/roles.js';

/**
 * A role created, changed or deleted by a crawl: what it grants is replaced by what its new tags say
 * (nothing when deleted). The replacement does not depend on `before`, so a missed or repeated event
 * cannot leave a stale grant behind.
 */
export function createApplyRoleChangeHandler(options: { maintainer: AuthorizationMaintainer }) {
  return async (change: ResourceChange): Promise<void> => {
    if (change.itemType !== 'iam_role') return;
    await options.maintainer.applyRole(
      change.arn,
      change.change === 'deleted' || !change.after ? undefined : toRoleFacts(change.after),
    );
  };
}
