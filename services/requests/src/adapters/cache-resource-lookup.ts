import type { RedisCacheReader } from '@rolecall/cache/reader';
import type { ItemType } from '@rolecall/shared/contracts';
import { matchesIamPattern } from '@rolecall/shared/iam';
import type { CrossAccountType } from '../domain/cross-account.js';
import type { ResourceLookup } from '../domain/ports.js';
import { stateOfItem, type PrincipalState, type ResourceState } from '../domain/target-state.js';

/** Most ARNs of one type read to expand one wildcard; the expansion refuses beyond its own limit. */
const MAX_SCAN = 5_000;

/**
 * What the resource cache holds, through the cache service's own reader of its Redis layout: every entry
 * checked against its schema, a corrupt one read as absent.
 */
export function createCacheResourceLookup(options: { reader: RedisCacheReader }): ResourceLookup {
  const { reader } = options;
  const get = async (arn: string) => {
    const item = await reader.getItem(arn);
    return item === undefined ? undefined : stateOfItem(item);
  };
  return {
    get,
    async matching(pattern, type: CrossAccountType) {
      const arns = await reader.rangeIndex(
        { kind: 'itemType', itemType: type satisfies ItemType },
        { count: MAX_SCAN },
      );
      const states = await Promise.all(arns.filter((arn) => matchesIamPattern(pattern, arn)).map(get));
      return states.filter(
        (s): s is PrincipalState | ResourceState => s?.kind === 'principal' || s?.kind === 'resource',
      );
    },
  };
}
