import { asStrings, canonicalJson, isRecord, type PolicyStatement } from '@rolecall/shared/iam';

/** Elements IAM reads as a string or a list, where neither order nor the form carries meaning. */
const LIST_ELEMENTS = ['Action', 'NotAction', 'Resource', 'NotResource'] as const;

function normalizePrincipal(principal: unknown): unknown {
  if (!isRecord(principal)) return principal;
  return Object.fromEntries(Object.entries(principal).map(([k, v]) => [k, [...asStrings(v)].sort()]));
}

/** A statement with its list elements as sorted lists, so equal grants compare equal. */
function normalized(statement: PolicyStatement, withSid: boolean): PolicyStatement {
  const out: PolicyStatement = {};
  for (const [key, value] of Object.entries(statement)) {
    if (key === 'Sid' && !withSid) continue;
    if ((LIST_ELEMENTS as readonly string[]).includes(key)) out[key] = [...asStrings(value)].sort();
    else if (key === 'Principal' || key === 'NotPrincipal') out[key] = normalizePrincipal(value);
    else out[key] = value;
  }
  return out;
}

/** A copy of a record without some keys. */
export const omitKeys = <T extends Record<string, unknown>>(record: T, ...keys: string[]): T =>
  Object.fromEntries(Object.entries(record).filter(([key]) => !keys.includes(key))) as T;

/** What a statement grants or denies, regardless of its Sid and of list order and form. */
export const grantKey = (statement: PolicyStatement): string => canonicalJson(normalized(statement, false));

/** The same with the Sid: two statement lists with equal keys in order are one document's statements. */
export const statementKey = (statement: PolicyStatement): string =>
  canonicalJson(normalized(statement, true));

/**
 * A statement as it stood after someone edited one Rolecall had added, less what Rolecall granted:
 * the (action, resource) pairs of `granted`. Up to two statements remain (the actions Rolecall did not
 * grant, on every resource; Rolecall's actions on the resources it did not name), without Rolecall's
 * Sid. `rewritten` when the edit changed more than actions and resources (Effect, Principal, Condition,
 * a NotAction): then Rolecall's part cannot be told apart, and the statement is left as found.
 */
export function subtractGrant(
  found: PolicyStatement,
  granted: PolicyStatement,
): { kind: 'rest'; statements: PolicyStatement[]; keptActions: string[] } | { kind: 'rewritten' } {
  const rest = (s: PolicyStatement) =>
    canonicalJson(normalized(omitKeys(s, 'Sid', 'Action', 'Resource'), false));
  if (!('Action' in found) || rest(found) !== rest(granted)) return { kind: 'rewritten' };
  const grantedActions = new Set(asStrings(granted.Action).map((a) => a.toLowerCase()));
  const foundActions = asStrings(found.Action);
  const otherActions = foundActions.filter((a) => !grantedActions.has(a.toLowerCase()));
  const sharedActions = foundActions.filter((a) => grantedActions.has(a.toLowerCase()));
  const unclaimed = omitKeys(found, 'Sid');
  const statements: PolicyStatement[] = [];
  if (otherActions.length > 0) statements.push({ ...unclaimed, Action: otherActions });
  if ('Resource' in found && sharedActions.length > 0) {
    const grantedResources = new Set(asStrings(granted.Resource));
    const otherResources = asStrings(found.Resource).filter((r) => !grantedResources.has(r));
    if (otherResources.length > 0) {
      statements.push({ ...unclaimed, Action: sharedActions, Resource: otherResources });
    }
  }
  return { kind: 'rest', statements, keptActions: otherActions };
}
