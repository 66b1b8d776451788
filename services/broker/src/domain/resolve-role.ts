import type { Caller, Channel, Refusal } from '@rolecall/shared/contracts';
import { callerIdentities, type AuthorizationSettings } from './authorization.js';
import { matchRole } from './match-role.js';
import type { AuthorizationMapping } from './ports.js';
import type { KnownRole } from './roles.js';
import { accountIdOf, roleNameOf } from './roles.js';

export type Resolution = { outcome: 'matched'; role: KnownRole } | Refusal;

/**
 * Finds the one role a caller asked for among the roles they may use on the channel. No match is
 * `not_eligible` when the query is the exact ARN of a cached role (it exists, the caller may not use it
 * here), else `no_matching_role`.
 */
export async function resolveRole(options: {
  mapping: AuthorizationMapping;
  settings: Pick<AuthorizationSettings, 'lowercaseIdentities'>;
  caller: Caller;
  query: string;
  channel: Channel;
}): Promise<Resolution> {
  const { mapping, caller, query, channel } = options;
  const eligible = await mapping.eligible(callerIdentities(caller, options.settings), channel);
  const match = matchRole(
    query,
    eligible.map((g) => g.arn),
  );
  if (match.kind === 'one') {
    const known = (await mapping.describeRoles([match.arn])).get(match.arn.toLowerCase());
    return {
      outcome: 'matched',
      // A role granted by the group mapping may be missing from the cache; STS still decides.
      role: known ?? { arn: match.arn, accountId: accountIdOf(match.arn), name: roleNameOf(match.arn) },
    };
  }
  if (match.kind === 'many') {
    return {
      outcome: 'refused',
      reason: 'multiple_matching_roles',
      message: `more than one of your roles matches "${query}"; use one of the full ARNs`,
      matches: match.matches,
    };
  }
  const trimmed = query.trim();
  if (trimmed.toLowerCase().startsWith('arn:')) {
    const existing = (await mapping.describeRoles([trimmed])).get(trimmed.toLowerCase());
    if (existing) {
      return {
        outcome: 'refused',
        reason: 'not_eligible',
        message: `you may not use ${existing.arn}${channel === 'console' ? ' for the console' : ''}`,
        matches: [],
      };
    }
  }
  return {
    outcome: 'refused',
    reason: 'no_matching_role',
    message: `none of your ${channel === 'console' ? 'console ' : ''}roles matches "${query}"`,
    matches: [],
  };
}
