import type { Channel } from '@rolecall/shared/contracts';
import type { DynamicConfigDocument } from '@rolecall/shared/dynamic-config';
import { asStrings, isRecord, matchesIamPattern, statementsOf } from '@rolecall/shared/iam';
import type { RoleFacts } from './roles.js';

/** How role tags and the group mapping become grants (the `broker` config section). */
export interface AuthorizationSettings {
  authorizedTags: readonly string[];
  authorizedCliOnlyTags: readonly string[];
  requiredTrustPolicyEntity?: string | undefined;
  /** Users and groups compared case-insensitively (stored and looked up lower-cased). */
  lowercaseIdentities: boolean;
}

/** `console` = console and CLI; `cli` = CLI only. A role granted both ways is a console grant. */
export type Grant = 'console' | 'cli';

export const normalizeIdentity = (
  identity: string,
  settings: Pick<AuthorizationSettings, 'lowercaseIdentities'>,
) => (settings.lowercaseIdentities ? identity.trim().toLowerCase() : identity.trim());

/** The identities a caller acts as: the user and each of their groups, normalized, without repeats. */
export function callerIdentities(
  caller: { user: string; groups: readonly string[] },
  settings: Pick<AuthorizationSettings, 'lowercaseIdentities'>,
): string[] {
  const all = [caller.user, ...caller.groups].map((i) => normalizeIdentity(i, settings)).filter(Boolean);
  return [...new Set(all)];
}

const strongest = (a: Grant | undefined, b: Grant): Grant =>
  a === 'console' || b === 'console' ? 'console' : 'cli';

/**
 * Whether the role's tags may grant anything (ConsoleMe's required_trust_policy_entity): with the setting
 * unset, always; with it set, only when the role's trust policy opts into that principal. That is: an
 * `Allow` statement whose `Action` covers `sts:AssumeRole` (a string or a list, IAM wildcards such as
 * `sts:*` and `*` included, case-insensitive) and whose `Principal` names the entity itself, and no
 * unconditional `Deny` of `sts:AssumeRole` to the entity (or to `*`). What does not count:
 * - `Principal: "*"` or `{"AWS": "*"}`: it lets anyone in, often narrowed by a condition; it is not an
 *   opt-in to Rolecall, which is what the setting is there to require;
 * - `NotPrincipal` and `NotAction` statements: they name what they exclude;
 * - another ARN that merely contains the entity (`…/RolecallHub-old`, a role on a path), and, for a role
 *   ARN, the root of its account: that delegates to every principal of the account, not to the hub.
 * An account given as the entity (`123456789012` or `arn:aws:iam::123456789012:root`) is named by either
 * form, as IAM itself stores a bare account id as the root ARN.
 * A `Condition` does not disqualify an Allow (nor make a Deny veto): a trust in the hub restricted by, say,
 * an external id or a source IP is still an opt-in, and whether Rolecall meets the condition is STS's
 * answer when the role is assumed. ARNs compare case-insensitively, as IAM names are unique regardless of
 * case. A document that is absent or not a policy trusts nothing.
 */
export function trustPolicyAllows(role: RoleFacts, settings: AuthorizationSettings): boolean {
  const entity = settings.requiredTrustPolicyEntity;
  if (!entity) return true;
  const wanted = principalKey(entity);
  const statements = trustStatementsOf(role.trustPolicy);
  const assumableBy = (statement: Record<string, unknown>, accepted: readonly string[]) =>
    !('NotPrincipal' in statement) &&
    !('NotAction' in statement) &&
    asStrings(statement.Action).some((pattern) => matchesIamPattern(pattern, 'sts:AssumeRole')) &&
    awsPrincipals(statement.Principal).some((p) => accepted.includes(p));
  const allowed = statements.some((s) => s.Effect === 'Allow' && assumableBy(s, [wanted]));
  const denied = statements.some(
    (s) => s.Effect === 'Deny' && s.Condition === undefined && assumableBy(s, [wanted, '*']),
  );
  return allowed && !denied;
}

/** The statements of a trust policy (parsed, or JSON text, URL-encoded as IAM returns it), or none. */
function trustStatementsOf(document: unknown): Record<string, unknown>[] {
  if (typeof document !== 'string') return statementsOf(document);
  try {
    const text = document.trim();
    return statementsOf(JSON.parse(text.startsWith('{') ? text : decodeURIComponent(text)));
  } catch {
    return [];
  }
}

/** The AWS principals a `Principal` element names, as {@link principalKey}s (`*` for everyone). */
function awsPrincipals(principal: unknown): string[] {
  if (principal === '*') return ['*'];
  if (!isRecord(principal)) return [];
  return asStrings(principal.AWS).map(principalKey);
}

/** An account's root ARN and its bare id are one principal; any other ARN is itself, lower-cased. */
function principalKey(principal: string): string {
  const value = principal.trim().toLowerCase();
  const account = /^(?:arn:aws[a-z-]*:iam::(\d{12}):root|(\d{12}))$/.exec(value);
  return account ? `account:${account[1] ?? account[2]}` : value;
}

/** identity → grant that one role's tags give (tag values are colon-separated users and groups). */
export function grantsOfRole(role: RoleFacts, settings: AuthorizationSettings): Map<string, Grant> {
  const grants = new Map<string, Grant>();
  if (!trustPolicyAllows(role, settings)) return grants;
  const add = (keys: readonly string[], grant: Grant) => {
    for (const key of keys) {
      const value = role.tags[key];
      if (value === undefined) continue;
      for (const part of value.split(':')) {
        const identity = normalizeIdentity(part, settings);
        if (identity) grants.set(identity, strongest(grants.get(identity), grant));
      }
    }
  };
  add(settings.authorizedTags, 'console');
  add(settings.authorizedCliOnlyTags, 'cli');
  return grants;
}

/** identity → (role ARN → grant) from the dynamic config's group_mapping. */
export function grantsOfConfig(
  config: DynamicConfigDocument,
  settings: Pick<AuthorizationSettings, 'lowercaseIdentities'>,
): Map<string, Map<string, Grant>> {
  const result = new Map<string, Map<string, Grant>>();
  for (const [rawIdentity, entry] of Object.entries(config.group_mapping ?? {})) {
    const identity = normalizeIdentity(rawIdentity, settings);
    if (!identity) continue;
    const roles = result.get(identity) ?? new Map<string, Grant>();
    for (const arn of entry.cli_only_roles ?? []) roles.set(arn, strongest(roles.get(arn), 'cli'));
    for (const arn of entry.roles ?? []) roles.set(arn, 'console');
    result.set(identity, roles);
  }
  return result;
}

/** What one identity may use: console (and CLI) roles, and CLI-only roles. */
export interface IdentityRoles {
  roles: Set<string>;
  cliOnlyRoles: Set<string>;
}

/** The whole mapping identity → roles, from every cached role's tags and the group mapping. */
export function buildMapping(
  roles: Iterable<RoleFacts>,
  config: DynamicConfigDocument,
  settings: AuthorizationSettings,
): Map<string, IdentityRoles> {
  const mapping = new Map<string, IdentityRoles>();
  const grant = (identity: string, arn: string, kind: Grant) => {
    const entry = mapping.get(identity) ?? { roles: new Set<string>(), cliOnlyRoles: new Set<string>() };
    (kind === 'console' ? entry.roles : entry.cliOnlyRoles).add(arn);
    mapping.set(identity, entry);
  };
  for (const role of roles) {
    for (const [identity, kind] of grantsOfRole(role, settings)) grant(identity, role.arn, kind);
  }
  for (const [identity, arns] of grantsOfConfig(config, settings)) {
    for (const [arn, kind] of arns) grant(identity, arn, kind);
  }
  return mapping;
}

/** A role a caller may use on a channel; `cliOnly` when only CLI-only grants give it. */
export interface EligibleGrant {
  arn: string;
  cliOnly: boolean;
}

/**
 * The union over the caller's identities. Console excludes CLI-only grants; the CLI includes them; a
 * role granted both ways counts as a console role. ARNs are compared case-insensitively.
 */
export function eligibleFromGrants(
  consoleArns: Iterable<string>,
  cliOnlyArns: Iterable<string>,
  channel: Channel,
): EligibleGrant[] {
  const result = new Map<string, EligibleGrant>();
  for (const arn of consoleArns) {
    if (!result.has(arn.toLowerCase())) result.set(arn.toLowerCase(), { arn, cliOnly: false });
  }
  if (channel === 'cli') {
    for (const arn of cliOnlyArns) {
      if (!result.has(arn.toLowerCase())) result.set(arn.toLowerCase(), { arn, cliOnly: true });
    }
  }
  return [...result.values()].sort((a, b) => a.arn.localeCompare(b.arn));
}
