import {
  AccessLevels,
  type AccessLevel,
  type GrantGroup,
  type NewlyGranted,
} from '@rolecall/shared/contracts';
import { asStrings, matchesIamPattern, statementsOf } from '@rolecall/shared/iam';
import { actionFacts, complementOf, expandActions, type ActionFacts } from './iam-catalog.js';

export interface NewlyGrantedOptions {
  /**
   * Most actions the table lists in all (added and removed). Past it, a group that holds every action of
   * its service and level leaves its list empty (`everyAction` says what it holds) and `truncated` is set:
   * `Action: "*"` alone expands to some twenty thousand actions.
   */
  maxActions?: number;
}

const DEFAULT_MAX_ACTIONS = 2_000;

/** action (lower case) → its facts and the resource patterns it is allowed on. */
type Grants = Map<string, { facts: ActionFacts; resources: Set<string> }>;

/**
 * What `newDoc` allows that `oldDoc` did not (`added`) and the reverse (`removed`), grouped by service and
 * access level, wildcards expanded from the IAM data. A null or unreadable document allows nothing.
 *
 * - Only Allow statements grant. `NotAction` allows the complement of its list (every action of the IAM data
 *   it does not name); `NotResource` is shown as `NotResource:<pattern>`.
 * - A Deny takes actions out of the table only when it cannot fail to apply: no Condition and Resource
 *   `*`. A scoped or conditional Deny is left to the findings and the simulator; the table then shows the
 *   most the document may allow, never less than it does.
 * - An action on a resource counts as already granted when the other document allows the action on a
 *   pattern that covers it (`*` covers `arn:aws:s3:::b/*`). Conditions on an Allow are not compared.
 */
export async function newlyGranted(
  oldDoc: unknown,
  newDoc: unknown,
  options: NewlyGrantedOptions = {},
): Promise<NewlyGranted> {
  const [before, after] = await Promise.all([grantsOf(oldDoc), grantsOf(newDoc)]);
  const added = groupsOf(difference(after, before));
  const removed = groupsOf(difference(before, after));
  const total = [...added, ...removed].reduce((n, g) => n + g.actions.length, 0);
  await markEveryAction([...added, ...removed]);
  if (total <= (options.maxActions ?? DEFAULT_MAX_ACTIONS)) return { added, removed };
  const trim = (groups: GrantGroup[]) => groups.map((g) => (g.everyAction ? { ...g, actions: [] } : g));
  return { added: trim(added), removed: trim(removed), truncated: true };
}

function parse(document: unknown): unknown {
  if (typeof document !== 'string') return document;
  try {
    return JSON.parse(document) as unknown;
  } catch {
    return undefined;
  }
}

async function grantsOf(document: unknown): Promise<Grants> {
  const grants: Grants = new Map();
  const statements = statementsOf(parse(document));
  const denied = new Set<string>();
  for (const statement of statements) {
    if (
      statement.Effect !== 'Deny' ||
      'Condition' in statement ||
      !asStrings(statement.Resource).includes('*')
    )
      continue;
    for (const action of await actionsOf(statement)) denied.add(action.toLowerCase());
  }
  for (const statement of statements) {
    if (statement.Effect !== 'Allow') continue;
    const resources =
      'NotResource' in statement
        ? asStrings(statement.NotResource).map((r) => `NotResource:${r}`)
        : asStrings(statement.Resource);
    const actions = (await actionsOf(statement)).filter((a) => !denied.has(a.toLowerCase()));
    const facts = await Promise.all(actions.map(actionFacts));
    for (const fact of facts) {
      if (fact === undefined) continue;
      const key = fact.name.toLowerCase();
      const entry = grants.get(key) ?? { facts: fact, resources: new Set<string>() };
      for (const resource of resources) entry.resources.add(resource);
      grants.set(key, entry);
    }
  }
  return grants;
}

/** The actions a statement names: Action expanded, or the complement of NotAction. */
async function actionsOf(statement: Record<string, unknown>): Promise<string[]> {
  if ('NotAction' in statement) return complementOf(asStrings(statement.NotAction));
  return expandActions(asStrings(statement.Action));
}

function difference(from: Grants, minus: Grants): Grants {
  const out: Grants = new Map();
  for (const [key, { facts, resources }] of from) {
    const other = minus.get(key)?.resources ?? new Set<string>();
    const left = [...resources].filter((r) => ![...other].some((o) => o === r || matchesIamPattern(o, r)));
    if (left.length > 0) out.set(key, { facts, resources: new Set(left) });
  }
  return out;
}

function groupsOf(grants: Grants): GrantGroup[] {
  const groups = new Map<
    string,
    { service: string; accessLevel: AccessLevel; actions: Set<string>; resources: Set<string> }
  >();
  for (const { facts, resources } of grants.values()) {
    const key = `${facts.service} ${facts.accessLevel}`;
    const group = groups.get(key) ?? {
      service: facts.service,
      accessLevel: facts.accessLevel,
      actions: new Set<string>(),
      resources: new Set<string>(),
    };
    group.actions.add(facts.name);
    for (const r of resources) group.resources.add(r);
    groups.set(key, group);
  }
  return [...groups.values()]
    .map((g) => ({ ...g, actions: [...g.actions].sort(), resources: [...g.resources].sort() }))
    .sort(
      (a, b) =>
        a.service.localeCompare(b.service) ||
        AccessLevels.indexOf(a.accessLevel) - AccessLevels.indexOf(b.accessLevel),
    );
}

/** Sets `everyAction` on the groups that hold every action of their service at their level. */
async function markEveryAction(groups: GrantGroup[]): Promise<void> {
  const sizes = new Map<string, Map<AccessLevel, number>>();
  for (const service of new Set(groups.map((g) => g.service))) {
    const facts = await Promise.all((await expandActions(`${service}:*`)).map(actionFacts));
    const bySize = new Map<AccessLevel, number>();
    for (const f of facts) if (f) bySize.set(f.accessLevel, (bySize.get(f.accessLevel) ?? 0) + 1);
    sizes.set(service, bySize);
  }
  for (const group of groups) {
    if (group.actions.length > 0 && group.actions.length === sizes.get(group.service)?.get(group.accessLevel))
      group.everyAction = true;
  }
}
