import type { RedisCacheReader } from '@rolecall/cache/reader';
import type { AccessFacts, PrincipalFacts } from '@rolecall/policy';
import type { TypedCachedItem } from '@rolecall/shared/contracts';
import { stateOfItem, type TargetState } from '../domain/target-state.js';

/** Most group ARNs of one account read to find a user's group by name. */
const MAX_GROUPS = 5_000;

/**
 * The cached state as the simulator reads it, through the cache service's own reader. `overlay` holds the
 * states a request's changes lead to (by ARN); they stand in for what the cache has, so a simulation can
 * answer "after this request is applied".
 */
export function createCacheAccessFacts(options: {
  reader: RedisCacheReader;
  overlay?: ReadonlyMap<string, TargetState>;
}): AccessFacts {
  const { reader } = options;
  const overlay = options.overlay ?? new Map<string, TargetState>();
  const stateOf = async (arn: string): Promise<{ item?: TypedCachedItem; state?: TargetState }> => {
    const item = await reader.getItem(arn);
    const state = overlay.get(arn) ?? (item === undefined ? undefined : stateOfItem(item));
    return { ...(item ? { item } : {}), ...(state ? { state } : {}) };
  };
  return {
    async principal(arn) {
      const { item, state } = await stateOf(arn);
      if (state?.kind !== 'principal') return undefined;
      // A principal state is the simulator's facts but for a user's groups, which no change edits.
      const facts: PrincipalFacts = {
        ...state,
        groups: item?.itemType === 'iam_user' ? item.details.groups : undefined,
      };
      return facts;
    },
    async group(accountId, name) {
      const prefix = `arn:aws:iam::${accountId}:group/`;
      const arns = await reader.rangeIndex(
        { kind: 'itemType', itemType: 'iam_group' },
        { from: prefix, before: `arn:aws:iam::${accountId}:group0`, count: MAX_GROUPS },
      );
      const arn = arns.find((a) => a.slice(a.lastIndexOf('/') + 1) === name);
      const item = arn === undefined ? undefined : await reader.getItem(arn);
      if (item?.itemType !== 'iam_group') return undefined;
      return {
        arn: item.arn,
        name: item.name,
        inlinePolicies: Object.fromEntries(item.details.inlinePolicies.map((p) => [p.name, p.document])),
        managedPolicies: item.details.managedPolicies.map((p) => p.arn),
      };
    },
    async managedPolicy(arn) {
      const { state } = await stateOf(arn);
      return state?.kind === 'managed_policy' ? state.document : undefined;
    },
    async resource(arn) {
      const { state } = await stateOf(arn);
      if (state?.kind !== 'resource') return undefined;
      return {
        arn: state.arn,
        accountId: state.accountId,
        resourceType: state.resourceType,
        policy: state.policy,
      };
    },
  };
}
