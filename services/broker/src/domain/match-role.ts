import { roleNameOf } from './roles.js';

export type RoleMatch = { kind: 'one'; arn: string } | { kind: 'none' } | { kind: 'many'; matches: string[] };

/**
 * ConsoleMe's matching, among the caller's eligible roles only: an exact ARN (case-insensitive) wins;
 * else an exact role name (case-insensitive); else every ARN containing the query (case-insensitive).
 */
export function matchRole(query: string, eligibleArns: readonly string[]): RoleMatch {
  const q = query.trim().toLowerCase();
  if (!q) return { kind: 'none' };
  const pick = (found: string[]): RoleMatch | undefined => {
    const unique = [...new Map(found.map((arn) => [arn.toLowerCase(), arn])).values()].sort();
    if (unique.length === 0) return undefined;
    if (unique.length === 1) return { kind: 'one', arn: unique[0] as string };
    return { kind: 'many', matches: unique };
  };
  return (
    pick(eligibleArns.filter((arn) => arn.toLowerCase() === q)) ??
    pick(eligibleArns.filter((arn) => roleNameOf(arn).toLowerCase() === q)) ??
    pick(eligibleArns.filter((arn) => arn.toLowerCase().includes(q))) ?? { kind: 'none' }
  );
}
