import type { ChangeModel } from '@rolecall/shared/contracts';
import { accountOfArn } from '@rolecall/shared/iam';
import type { RoleDescriber } from '../domain/ports.js';
import { withSourceParts } from '../domain/role-lifecycle.js';

/**
 * Fills in what a clone copies that the cache does not hold (description, session duration) by reading the
 * source role in AWS, so the request shows reviewers the values it will write. A source that cannot be read
 * leaves the change as asked, which validation then refuses.
 */
export async function resolveCloneSources(
  changes: readonly ChangeModel[],
  describer: RoleDescriber | undefined,
): Promise<ChangeModel[]> {
  return Promise.all(
    changes.map(async (change) => {
      if (change.change_type !== 'create_role' || change.copy_from_source === undefined) return change;
      const source = change.cloned_from;
      if (describer === undefined || source === undefined) return change;
      return withSourceParts(change, await describer.describe(source, accountOfArn(source)));
    }),
  );
}
