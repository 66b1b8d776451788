import {
  AccessLevelChoices,
  GeneratorTypes,
  type AccessLevelChoice,
  type ChangeGenerator,
  type ChangeOf,
  type ChangeProblem,
  type GeneratorType,
  type ResourceModel,
} from '@rolecall/shared/contracts';
import {
  asStrings,
  canonicalJson,
  isRecord,
  isWellFormedArn,
  parseArn,
  statementsOf,
  type PolicyStatement,
} from '@rolecall/shared/iam';
import {
  actionsOfGroup,
  checkAction,
  resourceTypesMatchingArn,
  resourceTypesOfAction,
  SELF_SERVICE_GENERATORS,
  selectActions,
  type AccessLevel,
  type ActionProblem,
} from '@rolecall/policy';
import { policySize } from './parse-policy.js';
import type { PrincipalState, TargetState } from './target-state.js';
import { IAM_POLICY_LIMITS } from './validate-change.js';

/**
 * The names prepareChanges gives the inline policies it creates (`rolecall-<8 of the request id>-<n>`,
 * `-<m>` when taken): the policies Rolecall manages on a principal, which generated statements merge into.
 * prepare-changes.test pins that the names it generates match.
 */
export const ROLECALL_POLICY_NAME = /^rolecall-[A-Za-z0-9]{1,8}-\d+(-\d+)?$/;

/** One (effect, condition) and the actions granted on each resource: a statement before minimizing. */
export interface Grant {
  effect: 'Allow' | 'Deny';
  condition?: Record<string, unknown> | undefined;
  actions: string[];
  resources: string[];
}

type Problems = ChangeProblem[];

const isGeneratorType = (type: string): type is GeneratorType =>
  (GeneratorTypes as readonly string[]).includes(type);

/** Types whose resource must be named: a wildcard alone would grant on every bucket, queue, topic, role. */
const NAMED_RESOURCE: ReadonlySet<GeneratorType> = new Set(['s3', 'sqs', 'sns', 'sts', 'ses', 'generic']);

/** The service each resource-specific generator's ARNs must be of. */
const ARN_SERVICE: Partial<Record<GeneratorType, readonly string[]>> = {
  s3: ['s3'],
  sqs: ['sqs'],
  sns: ['sns'],
  sts: ['iam'],
  ses: ['ses'],
  route53: ['route53'],
  ec2: ['ec2'],
  rds: ['iam', 'rds-db'],
};

const ACTION_MESSAGES: Record<ActionProblem, (action: string) => string> = {
  MALFORMED_ACTION: (a) => `"${a}" is not an IAM action: write service:Action (s3:GetObject)`,
  UNKNOWN_SERVICE: (a) => `"${a}" names a service AWS does not publish`,
  UNKNOWN_ACTION: (a) => `"${a}" is not an action AWS publishes for its service`,
};

/**
 * Turns the wizard's generators into IAM statements, every action from or checked against AWS's IAM data.
 * Every problem is reported with its code and the generator's index, not only the first.
 */
export async function generateGrants(
  generators: readonly ChangeGenerator[],
): Promise<{ ok: true; grants: Grant[]; statements: PolicyStatement[] } | { ok: false; problems: Problems }> {
  const problems: Problems = [];
  const grants: Grant[] = [];
  const verbatim: PolicyStatement[] = [];
  for (const [index, generator] of generators.entries()) {
    const add = (code: string, message: string, field?: string) =>
      problems.push({ code, message, change_index: index, ...(field ? { path: `/${field}` } : {}) });
    const type = generator.generator_type;
    if (!isGeneratorType(type)) {
      add(
        'UNKNOWN_GENERATOR_TYPE',
        `generator_type "${type}" is not one of ${GeneratorTypes.join(', ')}`,
        'generator_type',
      );
      continue;
    }
    const extra = await checkActions(generator.extra_actions ?? [], 'extra_actions', add);
    if (type === 'custom_iam') {
      const custom = await customStatements(generator, add);
      grants.push(...custom.grants);
      verbatim.push(...custom.verbatim);
      continue;
    }
    const resources = resourcesOf(generator, type, add);
    const groups = generator.action_groups ?? [];
    if (groups.length === 0) {
      add(
        'ACTION_GROUPS_REQUIRED',
        `name at least one of the ${type} choices in action_groups`,
        'action_groups',
      );
    }
    const condition = conditionOf(generator, type, add);
    if (resources === undefined || groups.length === 0 || condition === null) continue;
    const actions = await actionsFor(generator, type, resources, add);
    if (actions === undefined) continue;
    const effect = generator.effect ?? 'Allow';
    for (const action of [...actions, ...extra]) {
      grants.push({
        effect,
        condition,
        actions: [action],
        resources: await resourcesForAction(type, action, resources, generator),
      });
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, grants, statements: verbatim };
}

async function checkActions(
  actions: readonly string[],
  field: string,
  add: (code: string, message: string, field?: string) => void,
): Promise<string[]> {
  const checked: string[] = [];
  for (const action of actions) {
    const result = await checkAction(action);
    if (result.ok) checked.push(result.action);
    else add(result.problem, ACTION_MESSAGES[result.problem](action), field);
  }
  return checked;
}

/** The generator's resource ARNs; undefined (with a problem) when one is missing or malformed. */
function resourcesOf(
  generator: ChangeGenerator,
  type: GeneratorType,
  add: (code: string, message: string, field?: string) => void,
): string[] | undefined {
  const given = asStrings(generator.resource_arn);
  if (given.length === 0) {
    add('RESOURCE_ARN_REQUIRED', `a ${type} generator needs resource_arn`, 'resource_arn');
    return undefined;
  }
  let ok = true;
  const arns = given.map((raw) => {
    // ConsoleMe's wizard sends a bucket by its name; IAM needs the ARN.
    const arn = type === 's3' && raw !== '*' && !raw.startsWith('arn:') ? `arn:aws:s3:::${raw}` : raw;
    if (arn === '*') {
      if (NAMED_RESOURCE.has(type)) {
        add('RESOURCE_ARN_REQUIRED', `a ${type} generator must name its resource, not *`, 'resource_arn');
        ok = false;
      }
      return arn;
    }
    const services = ARN_SERVICE[type];
    const service = parseArn(arn)?.service ?? '';
    if (!isWellFormedArn(arn) || (type === 's3' && arn.slice('arn:aws:s3:::'.length).includes('/'))) {
      add(
        'INVALID_ARN',
        `"${raw}" is not a well-formed ${type === 's3' ? 'bucket ' : ''}ARN`,
        'resource_arn',
      );
      ok = false;
    } else if (services !== undefined && !services.includes(service)) {
      add(
        'WRONG_RESOURCE_TYPE',
        `"${raw}" is a ${service} ARN; a ${type} generator takes ${services.join(' or ')} ARNs`,
        'resource_arn',
      );
      ok = false;
    }
    return arn;
  });
  return ok ? [...new Set(arns)] : undefined;
}

/** The generator's condition (`{field}` filled from its fields), undefined when none, null on a problem. */
function conditionOf(
  generator: ChangeGenerator,
  type: GeneratorType,
  add: (code: string, message: string, field?: string) => void,
): Record<string, unknown> | undefined | null {
  if (type === 'ses' && generator.from_address === undefined) {
    add(
      'FROM_ADDRESS_REQUIRED',
      'an ses generator needs from_address: the address mails go out from',
      'from_address',
    );
    return null;
  }
  const template = generator.condition ?? SELF_SERVICE_GENERATORS[type].condition;
  if (template === undefined) return undefined;
  const fields = generator as Record<string, unknown>;
  const fill = (text: string) =>
    text.replace(/\{([a-z_]+)\}/g, (whole, name: string) => {
      const value = fields[name];
      return typeof value === 'string' ? value : whole;
    });
  return JSON.parse(JSON.stringify(template), (_key, value: unknown) =>
    typeof value === 'string' ? fill(value) : value,
  ) as Record<string, unknown>;
}

/** The actions the generator's choices stand for. */
async function actionsFor(
  generator: ChangeGenerator,
  type: GeneratorType,
  resources: readonly string[],
  add: (code: string, message: string, field?: string) => void,
): Promise<string[] | undefined> {
  const spec = SELF_SERVICE_GENERATORS[type];
  const groups = generator.action_groups ?? [];
  const unknown = groups.filter((g) => !spec.actionGroups.some((s) => s.name === g));
  if (unknown.length > 0) {
    add(
      'UNKNOWN_ACTION_GROUP',
      `${unknown.map((g) => `"${g}"`).join(', ')} not among the ${type} choices: ${spec.actionGroups.map((s) => s.name).join(', ')}`,
      'action_groups',
    );
    return undefined;
  }
  if (type !== 'crud_lookup' && type !== 'generic') {
    const chosen = spec.actionGroups.filter((s) => groups.includes(s.name));
    return (await Promise.all(chosen.map(actionsOfGroup))).flat();
  }
  const levels = groups.map((g) => AccessLevelChoices[g as AccessLevelChoice]);
  if (type === 'crud_lookup') {
    const service = generator.service_name?.toLowerCase();
    if (service === undefined) {
      add(
        'SERVICE_NAME_REQUIRED',
        'a crud_lookup generator needs service_name (s3, dynamodb…)',
        'service_name',
      );
      return undefined;
    }
    const actions = await selectByLevels(service, levels);
    if (actions.length === 0) {
      add(
        'NO_ACTIONS',
        `the IAM data has no ${service} actions at ${levels.join(', ')}: check service_name`,
        'service_name',
      );
      return undefined;
    }
    return actions;
  }
  // generic: the ARN's service and resource type decide, so the actions are exactly those that apply.
  const actions: string[] = [];
  for (const arn of resources) {
    const service = parseArn(arn)?.service ?? '';
    const types = await resourceTypesMatchingArn(service, arn);
    if (types.length === 0) {
      add('NO_RESOURCE_TYPE', `"${arn}" matches no ${service} resource type of the IAM data`, 'resource_arn');
      return undefined;
    }
    actions.push(...(await selectByLevels(service, levels, types)));
  }
  if (actions.length === 0) {
    add(
      'NO_ACTIONS',
      `no action at ${levels.join(', ')} applies to ${resources.join(', ')}`,
      'action_groups',
    );
    return undefined;
  }
  return actions;
}

/**
 * The actions at the chosen levels. The IAM data gives some actions two levels (`Tagging, Write`,
 * `Permissions management, Write`); each of those has its own choice, so Write alone leaves them out:
 * asking to write a table does not grant changing who may read it.
 */
async function selectByLevels(
  service: string,
  levels: readonly AccessLevel[],
  resourceTypes?: readonly string[],
): Promise<string[]> {
  const selected = await Promise.all(
    levels.map((level) =>
      selectActions(service, {
        accessLevels: [level],
        ...(level === 'Write' ? { excludeAccessLevels: ['Tagging', 'Permissions management'] } : {}),
        ...(resourceTypes ? { resourceTypes } : {}),
      }),
    ),
  );
  return [...new Set(selected.flat())];
}

/**
 * Which of the generator's resources an action is granted on. S3 is the edge case: bucket-level actions
 * (ListBucket) take the bucket ARN, object actions the object ARN under the prefix, and an action with
 * no resource type (ListAllMyBuckets) only `*`. For generic, each action only on the ARNs of its type.
 */
async function resourcesForAction(
  type: GeneratorType,
  action: string,
  resources: readonly string[],
  generator: ChangeGenerator,
): Promise<string[]> {
  if (type !== 's3' && type !== 'generic') return [...resources];
  const types = await resourceTypesOfAction(action);
  if (type === 'generic') {
    const matching: string[] = [];
    for (const arn of resources) {
      const arnTypes = await resourceTypesMatchingArn(parseArn(arn)?.service ?? '', arn);
      if (arnTypes.some((t) => types.includes(t))) matching.push(arn);
    }
    return matching.length > 0 ? matching : [...resources];
  }
  if (types.length === 0) return ['*'];
  const prefix = normalizePrefix(generator.bucket_prefix);
  return [
    ...(types.includes('bucket') ? resources : []),
    ...(types.includes('object') ? resources.map((bucket) => `${bucket}${prefix}`) : []),
  ];
}

/** `reports` → `/reports/*`; `/` → `/*`; a given `*` stays where it is. */
function normalizePrefix(prefix: string | undefined): string {
  let value = prefix === undefined || prefix === '' ? '/*' : prefix;
  if (!value.startsWith('/')) value = `/${value}`;
  if (value.endsWith('/')) value = `${value}*`;
  else if (!value.includes('*')) value = `${value}/*`;
  return value;
}

/**
 * custom_iam: the person's own statements. Simple ones (Action and Resource, maybe a Condition) become
 * grants and are minimized with the rest; anything else (NotAction, NotResource) is kept as written.
 */
async function customStatements(
  generator: ChangeGenerator,
  add: (code: string, message: string, field?: string) => void,
): Promise<{ grants: Grant[]; verbatim: PolicyStatement[] }> {
  const policy = generator.policy;
  const statements = Array.isArray(policy) ? policy.filter(isRecord) : statementsOf(policy);
  const grants: Grant[] = [];
  const verbatim: PolicyStatement[] = [];
  if (statements.length === 0) {
    add(
      'POLICY_REQUIRED',
      'a custom_iam generator needs policy: a document or a list of statements',
      'policy',
    );
    return { grants, verbatim };
  }
  for (const [n, statement] of statements.entries()) {
    const at = `policy/Statement/${n}`;
    const effect = statement.Effect;
    if (effect !== 'Allow' && effect !== 'Deny') {
      add('POLICY_INVALID', `statement ${n}: Effect must be "Allow" or "Deny"`, `${at}/Effect`);
      continue;
    }
    if ('Principal' in statement || 'NotPrincipal' in statement) {
      add('POLICY_INVALID', `statement ${n}: an identity policy has no Principal`, at);
      continue;
    }
    const actionKey = 'Action' in statement ? 'Action' : 'NotAction' in statement ? 'NotAction' : undefined;
    const resourceKey =
      'Resource' in statement ? 'Resource' : 'NotResource' in statement ? 'NotResource' : undefined;
    const actions = asStrings(actionKey === undefined ? undefined : statement[actionKey]);
    const resources = asStrings(resourceKey === undefined ? undefined : statement[resourceKey]);
    if (actions.length === 0 || resources.length === 0) {
      add('POLICY_INVALID', `statement ${n}: give Action (or NotAction) and Resource (or NotResource)`, at);
      continue;
    }
    const checked = await checkActions(actions, `${at}/${actionKey ?? 'Action'}`, add);
    const badArns = resources.filter((r) => r !== '*' && !isWellFormedArn(r));
    for (const arn of badArns)
      add('INVALID_ARN', `"${arn}" is not a well-formed ARN`, `${at}/${resourceKey ?? 'Resource'}`);
    if (checked.length !== actions.length || badArns.length > 0) continue;
    const condition = isRecord(statement.Condition) ? statement.Condition : undefined;
    if (actionKey === 'Action' && resourceKey === 'Resource') {
      grants.push({ effect, condition, actions: checked, resources: [...new Set(resources)] });
    } else {
      verbatim.push({ ...statement, [actionKey ?? 'Action']: checked });
    }
  }
  return { grants, verbatim };
}

const conditionKey = (grant: Pick<Grant, 'effect' | 'condition'>) =>
  canonicalJson({ effect: grant.effect, condition: grant.condition ?? null });

/**
 * The fewest statements that grant exactly the (action, resource) pairs asked for: pairs already granted
 * by an identical simple statement of `existing` are left out, the rest grouped by resource set (one
 * statement per set), then statements with the same actions joined; actions and resources are sorted
 * and unique, so the same asks always give the same document.
 */
export function minimizeGrants(
  grants: readonly Grant[],
  existing: readonly PolicyStatement[] = [],
): PolicyStatement[] {
  const held = new Set<string>();
  for (const statement of existing) {
    if (
      !('Action' in statement) ||
      !('Resource' in statement) ||
      (statement.Effect !== 'Allow' && statement.Effect !== 'Deny')
    )
      continue;
    const condition = isRecord(statement.Condition) ? statement.Condition : undefined;
    const key = conditionKey({ effect: statement.Effect, condition });
    for (const action of asStrings(statement.Action)) {
      for (const resource of asStrings(statement.Resource))
        held.add(`${key}|${action.toLowerCase()}|${resource}`);
    }
  }
  // condition key → action (lower case) → its spelling and resources
  const pairs = new Map<
    string,
    { grant: Grant; actions: Map<string, { action: string; resources: Set<string> }> }
  >();
  for (const grant of grants) {
    const key = conditionKey(grant);
    const entry = pairs.get(key) ?? {
      grant,
      actions: new Map<string, { action: string; resources: Set<string> }>(),
    };
    pairs.set(key, entry);
    for (const action of grant.actions) {
      const lower = action.toLowerCase();
      const slot = entry.actions.get(lower) ?? { action, resources: new Set<string>() };
      entry.actions.set(lower, slot);
      for (const resource of grant.resources) {
        if (!held.has(`${key}|${lower}|${resource}`)) slot.resources.add(resource);
      }
    }
  }
  const statements: PolicyStatement[] = [];
  for (const [, { grant, actions }] of [...pairs].sort(([a], [b]) => a.localeCompare(b))) {
    const byResources = new Map<string, { resources: string[]; actions: string[] }>();
    for (const { action, resources } of actions.values()) {
      if (resources.size === 0) continue;
      const sorted = [...resources].sort();
      const key = sorted.join('\n');
      const group = byResources.get(key) ?? { resources: sorted, actions: [] };
      group.actions.push(action);
      byResources.set(key, group);
    }
    const byActions = new Map<string, { actions: string[]; resources: string[] }>();
    for (const group of byResources.values()) {
      const sortedActions = [...group.actions].sort();
      const key = sortedActions.join('\n');
      const joined = byActions.get(key) ?? { actions: sortedActions, resources: [] };
      joined.resources = [...new Set([...joined.resources, ...group.resources])].sort();
      byActions.set(key, joined);
    }
    for (const { actions: list, resources } of [...byActions.values()].sort((a, b) =>
      (a.actions[0] ?? '').localeCompare(b.actions[0] ?? ''),
    )) {
      statements.push({
        Effect: grant.effect,
        Action: list,
        Resource: resources,
        ...(grant.condition ? { Condition: grant.condition } : {}),
      });
    }
  }
  return statements;
}

export interface PlanOptions {
  /** The inline policy the generators name, if they name one. */
  policyName?: string | undefined;
  expiry: Pick<ChangeOf<'inline_policy'>, 'expiration_date' | 'expires_in'>;
}

export type GeneratedChange =
  { ok: true; change: ChangeOf<'inline_policy'> } | { ok: false; code: string; message: string };

/**
 * The inline-policy change that adds `statements` to the principal. It merges into a policy Rolecall
 * manages there (the named one, else the first of its `rolecall-…` policies that still fits IAM's size
 * limit) as an update that keeps every statement there and adds the new ones after them, with the
 * document it read as `old_policy`, so the request's three-way merge adds exactly these statements even
 * if the policy changes before approval. With no such policy it creates one (named by the request).
 */
export function planGeneratedChange(
  principal: PrincipalState,
  generate: { grants: readonly Grant[]; statements: readonly PolicyStatement[] },
  options: PlanOptions,
): GeneratedChange {
  const limit =
    principal.principalType === 'role'
      ? IAM_POLICY_LIMITS.inlineRolePolicy
      : IAM_POLICY_LIMITS.inlineUserPolicy;
  const allExisting = Object.values(principal.inlinePolicies).flatMap((doc) => statementsOf(doc));
  const verbatim = generate.statements.filter(
    (s) => !allExisting.some((e) => canonicalJson(e) === canonicalJson(s)),
  );
  const added = [...minimizeGrants(generate.grants, allExisting), ...verbatim];
  if (added.length === 0) {
    return {
      ok: false,
      code: 'ALREADY_GRANTED',
      message: `${principal.arn}'s inline policies already grant everything asked for`,
    };
  }
  const base = {
    change_type: 'inline_policy' as const,
    principal: { principal_type: 'AwsResource' as const, principal_arn: principal.arn },
    action: 'attach' as const,
    resources: resourceModels(added),
    ...options.expiry,
  };
  const candidates =
    options.policyName !== undefined
      ? [options.policyName]
      : Object.keys(principal.inlinePolicies)
          .filter((n) => ROLECALL_POLICY_NAME.test(n))
          .sort();
  for (const name of candidates) {
    const current = principal.inlinePolicies[name];
    if (current === undefined) continue;
    const document = {
      ...(isRecord(current) ? current : {}),
      Version:
        (isRecord(current) && typeof current.Version === 'string' ? current.Version : undefined) ??
        '2012-10-17',
      Statement: [...statementsOf(current), ...added],
    };
    if (policySize(document) <= limit) {
      return {
        ok: true,
        change: {
          ...base,
          policy_name: name,
          new: false,
          policy: { policy_document: document },
          old_policy: { policy_document: isRecord(current) ? current : {} },
        },
      };
    }
    if (options.policyName !== undefined) {
      return {
        ok: false,
        code: 'POLICY_TOO_LARGE',
        message: `${name} would exceed IAM's ${limit}-character limit with these statements: name a new policy`,
      };
    }
  }
  const document = { Version: '2012-10-17', Statement: added };
  if (policySize(document) > limit) {
    return {
      ok: false,
      code: 'POLICY_TOO_LARGE',
      message: `the generated statements exceed IAM's ${limit}-character limit for one inline policy: ask for less at once`,
    };
  }
  return {
    ok: true,
    change: {
      ...base,
      ...(options.policyName !== undefined ? { policy_name: options.policyName } : {}),
      new: true,
      policy: { policy_document: document },
    },
  };
}

/** ConsoleMe's `resources` of a change: the ARNs its statements name, for the review page. */
function resourceModels(statements: readonly PolicyStatement[]): ResourceModel[] {
  const arns = [...new Set(statements.flatMap((s) => asStrings(s.Resource)))].filter((a) => a !== '*').sort();
  return arns.map((arn) => {
    const parts = parseArn(arn);
    const resource = parts?.resource ?? arn;
    // A bucket's objects are shown as the bucket; elsewhere the name is the last path segment.
    const name =
      parts?.service === 's3' ? resource.split('/')[0] : resource.slice(resource.lastIndexOf('/') + 1);
    return {
      arn,
      name: name || resource,
      account_id: parts?.account ?? '',
      region: parts?.region || 'global',
      resource_type: parts?.service ?? '',
    };
  });
}

export type GenerateOutcome =
  | { ok: true; change: ChangeOf<'inline_policy'> }
  | { ok: false; kind: 'invalid' | 'not_found'; code: string; message: string; problems?: Problems };

const POLICY_NAME = /^[\w+=,.@-]{1,128}$/;
const PRINCIPAL = /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/.+$/;

/**
 * `POST /api/v2/generate_changes`: the generators of one principal → the one inline-policy change that
 * grants what they ask, merged into the policy Rolecall manages there. Input that cannot be right
 * (an unknown type, a malformed ARN, an unknown action) is refused before the cache is read.
 */
export async function generateChanges(
  generators: readonly ChangeGenerator[],
  lookup: (arn: string) => Promise<TargetState | undefined>,
): Promise<GenerateOutcome> {
  const invalid = (code: string, message: string, problems?: Problems): GenerateOutcome => ({
    ok: false,
    kind: 'invalid',
    code,
    message,
    ...(problems ? { problems } : {}),
  });
  const principals = [...new Set(generators.map((g) => g.principal.principal_arn))];
  if (principals.length !== 1) {
    return invalid(
      'MULTIPLE_PRINCIPALS',
      `generate changes for one principal at a time; these name ${principals.join(', ')}`,
    );
  }
  const arn = principals[0] ?? '';
  if (!PRINCIPAL.test(arn)) {
    return invalid(
      'INVALID_PRINCIPAL_ARN',
      `"${arn}" is not an IAM role or user ARN (arn:aws:iam::<account>:role/<name>)`,
    );
  }
  const names = [...new Set(generators.flatMap((g) => (g.policy_name === undefined ? [] : [g.policy_name])))];
  if (names.length > 1)
    return invalid(
      'MULTIPLE_POLICY_NAMES',
      `the generators name several policies: ${names.join(', ')}; name one`,
    );
  const policyName = names[0];
  if (policyName !== undefined && !POLICY_NAME.test(policyName)) {
    return invalid(
      'INVALID_POLICY_NAME',
      `policy name "${policyName}" may hold 1–128 letters, digits and +=,.@_-`,
    );
  }
  const expiries = [
    ...new Set(
      generators
        .filter((g) => g.expiration_date !== undefined || g.expires_in !== undefined)
        .map((g) =>
          canonicalJson({ expiration_date: g.expiration_date ?? null, expires_in: g.expires_in ?? null }),
        ),
    ),
  ];
  if (expiries.length > 1)
    return invalid('MULTIPLE_EXPIRIES', 'the generators ask for different expiries; one change has one');
  const withExpiry = generators.find((g) => g.expiration_date !== undefined || g.expires_in !== undefined);
  const generated = await generateGrants(generators);
  if (!generated.ok) {
    const codes = [...new Set(generated.problems.map((p) => p.code))];
    const first = generated.problems[0]?.message ?? '';
    return invalid(
      codes.length === 1 ? (codes[0] ?? 'INVALID_GENERATORS') : 'INVALID_GENERATORS',
      `${generated.problems.length} problem${generated.problems.length === 1 ? '' : 's'} with the generators: ${first}`,
      generated.problems,
    );
  }
  const state = await lookup(arn);
  if (state === undefined) {
    return {
      ok: false,
      kind: 'not_found',
      code: 'PRINCIPAL_NOT_FOUND',
      message: `${arn} is not in Rolecall's cache (recrawl its account if it is new)`,
    };
  }
  if (state.kind !== 'principal')
    return invalid('PRINCIPAL_NOT_SUPPORTED', `${arn} is not an IAM role or user`);
  const planned = planGeneratedChange(state, generated, {
    policyName,
    expiry: {
      ...(withExpiry?.expiration_date !== undefined ? { expiration_date: withExpiry.expiration_date } : {}),
      ...(withExpiry?.expires_in !== undefined ? { expires_in: withExpiry.expires_in } : {}),
    },
  });
  return planned.ok ? planned : invalid(planned.code, planned.message);
}
