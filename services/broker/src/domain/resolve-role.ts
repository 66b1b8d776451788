import type { Caller, Channel, Refusal } from '@rolecall/shared/contracts';
import { callerIdentities, type AuthorizationSettings } from './authorization.js';
import { matchRole } from './match-role.js';
import type { AuthorizationMapping, IssuanceRead } from './ports.js';
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
  /**
   * Reads the eligible roles and the named ARNs' facts together (credential issuance: one Redis round trip,
   * with its rate-limit charge); by default the mapping's two reads, in parallel.
   */
  read?: (identities: string[], channel: Channel, arns: string[]) => Promise<IssuanceRead>;
}): Promise<Resolution> {
  const { mapping, caller, query, channel } = options;
  const trimmed = query.trim();
  // Weep and scripts usually ask for a full ARN: its facts are read alongside the eligible roles
  // (one round trip to Redis instead of two), and only used if that ARN is the match.
  const askedArn = trimmed.toLowerCase().startsWith('arn:') ? trimmed : undefined;
  const identities = callerIdentities(caller, options.settings);
  const arns = askedArn ? [askedArn] : [];
  const read =
    options.read ??
    (async () => {
      const [eligible, facts] = await Promise.all([
        mapping.eligible(identities, channel),
        askedArn ? mapping.describeRoles(arns) : new Map<string, KnownRole>(),
      ]);
      return { eligible, facts };
    });
  const { eligible, facts: askedFacts } = await read(identities, channel, arns);
  const match = matchRole(
    query,
    eligible.map((g) => g.arn),
  );
  const factsOf = async (arn: string) => {
    const key = arn.toLowerCase();
    const facts = askedArn?.toLowerCase() === key ? askedFacts : await mapping.describeRoles([arn]);
    return facts.get(key);
  };
  if (match.kind === 'one') {
    const known = await factsOf(match.arn);
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
  if (askedArn) {
    const existing = await factsOf(askedArn);
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
