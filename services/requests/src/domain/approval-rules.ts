import type {
  ApprovalExplanation,
  ApprovalModel,
  ApprovalRequirement,
  AutoApprovalRule,
  ChangeModel,
  NewlyGranted,
  PolicyRequestSettings,
  Tags,
} from '@rolecall/shared/contracts';
import { asStrings, matchesIamPattern } from '@rolecall/shared/iam';
import { parseDuration, resolveExpiry } from './expiry.js';
import { grantedStatements } from './policy-edit.js';

/** Who someone is: their email and groups, as the gateway authenticated them. */
export interface Identity {
  user: string;
  groups: readonly string[];
}

/** Users and groups compare case-insensitively: `Alice@x` approving alice@x's request is self-approval. */
export const normalizeIdentity = (value: string): string => value.trim().toLowerCase();

/** Whether the identity is, or is in, one of the named users and groups. */
export function isMemberOf(identity: Identity, names: readonly string[]): boolean {
  const wanted = new Set(names.map(normalizeIdentity));
  return (
    wanted.has(normalizeIdentity(identity.user)) ||
    identity.groups.some((g) => wanted.has(normalizeIdentity(g)))
  );
}

/** A principal or resource a request changes, with what the rules read of it. */
export interface TouchedResource {
  arn: string;
  accountId: string;
  tags: Tags;
}

export interface ApprovalFacts {
  settings: PolicyRequestSettings | undefined;
  /** Rolecall's admins (`auth.adminGroups` and the dynamic config's `groups.can_admin`). */
  adminGroups: readonly string[];
  requester: string;
  touched: readonly TouchedResource[];
  approvals: readonly ApprovalModel[];
  /** The auto-approval rule that approved the request, once one has. */
  autoApprovedBy?: string | undefined;
}

/**
 * The requirements a request must meet before it is applied: one per approval rule whose accounts it
 * touches, one per owner group that a rule's owner tag names on a touched resource, and, when none
 * applies, one admin. Admins may approve toward every requirement. An approval counts once per person,
 * toward each requirement its approver belonged to when approving, and never the requester's own unless
 * the rule allows self-approval.
 */
export function evaluateApproval(facts: ApprovalFacts): ApprovalExplanation {
  const requirements = requirementsOf(facts).map((r) => count(r, facts));
  const satisfied = facts.autoApprovedBy !== undefined || requirements.every((r) => r.remaining === 0);
  return {
    satisfied,
    requirements,
    ...(facts.autoApprovedBy === undefined ? {} : { auto_approved_by: facts.autoApprovedBy }),
    summary: summaryOf(requirements, facts.autoApprovedBy),
  };
}

type Blank = Omit<ApprovalRequirement, 'approved_by' | 'remaining'>;

function requirementsOf(facts: ApprovalFacts): Blank[] {
  const out: Blank[] = [];
  for (const rule of facts.settings?.approval_rules ?? []) {
    const inScope = facts.touched.filter(
      (t) => rule.accounts === undefined || rule.accounts.includes(t.accountId),
    );
    const base = {
      rule: rule.name,
      required: rule.min_approvals ?? 1,
      allow_self_approval: rule.allow_self_approval ?? false,
    };
    const ownerTag = rule.owner_tag;
    if (ownerTag !== undefined) {
      const owners = new Map<string, string>();
      for (const t of inScope) {
        const owner = t.tags[ownerTag]?.trim();
        if (owner && !owners.has(normalizeIdentity(owner)))
          owners.set(normalizeIdentity(owner), `${ownerTag}=${owner} on ${t.arn}`);
      }
      for (const [owner, reason] of owners) {
        out.push({ ...base, kind: 'owner', approvers: [owner, ...(rule.approvers ?? [])], reason });
      }
    } else if (inScope.length > 0) {
      const accounts = [...new Set(inScope.map((t) => t.accountId))].join(', ');
      out.push({
        ...base,
        kind: 'rule',
        approvers: [...(rule.approvers ?? [])],
        reason: `account ${accounts} is covered by rule ${rule.name}`,
      });
    }
  }
  if (out.length === 0) {
    out.push({
      kind: 'admins',
      rule: 'admins',
      approvers: [...facts.adminGroups],
      required: 1,
      allow_self_approval: false,
      reason: 'no approval rule covers this request, so one admin approves it',
    });
  }
  return out.map((r) => ({ ...r, approvers: [...new Set([...r.approvers, ...facts.adminGroups])] }));
}

function count(requirement: Blank, facts: ApprovalFacts): ApprovalRequirement {
  const approvedBy = new Map<string, string>();
  for (const approval of facts.approvals) {
    const who = normalizeIdentity(approval.user);
    if (who === normalizeIdentity(facts.requester) && !requirement.allow_self_approval) continue;
    if (isMemberOf(approval, requirement.approvers) && !approvedBy.has(who))
      approvedBy.set(who, approval.user);
  }
  return {
    ...requirement,
    approved_by: [...approvedBy.values()],
    remaining: Math.max(0, requirement.required - approvedBy.size),
  };
}

function summaryOf(requirements: readonly ApprovalRequirement[], autoApprovedBy: string | undefined): string {
  if (autoApprovedBy !== undefined) return `approved automatically by rule ${autoApprovedBy}`;
  const open = requirements.filter((r) => r.remaining > 0);
  if (open.length === 0) return 'every approval it needs has been given';
  const parts = open.map((r) => {
    const who = r.kind === 'owner' ? (r.approvers[0] ?? '') : r.approvers.join(' or ');
    return `${r.remaining} more approval${r.remaining === 1 ? '' : 's'} from ${who} (${r.reason})`;
  });
  return `needs ${parts.join('; ')}`;
}

/** Why an identity may or may not approve toward the open requirements. */
export type Contribution = 'counts' | 'self' | 'already_approved' | 'not_an_approver' | 'nothing_open';

/** Whether an approval by `identity` now would count toward some requirement still open. */
export function contributionOf(
  identity: Identity,
  explanation: ApprovalExplanation,
  requester: string,
): Contribution {
  const open = explanation.requirements.filter((r) => r.remaining > 0);
  if (open.length === 0) return 'nothing_open';
  const eligible = open.filter((r) => isMemberOf(identity, r.approvers));
  if (eligible.length === 0) return 'not_an_approver';
  const who = normalizeIdentity(identity.user);
  const isRequester = who === normalizeIdentity(requester);
  const fresh = eligible.filter((r) => !r.approved_by.some((a) => normalizeIdentity(a) === who));
  if (fresh.length === 0) return 'already_approved';
  return fresh.some((r) => !isRequester || r.allow_self_approval) ? 'counts' : 'self';
}

/** Whether the identity may approve toward any requirement of the request, open or not (apply, reject). */
export const isEntitledApprover = (identity: Identity, explanation: ApprovalExplanation): boolean =>
  explanation.requirements.some((r) => isMemberOf(identity, r.approvers));

export interface AutoApprovalFacts {
  rules: readonly AutoApprovalRule[];
  principalArn: string;
  changes: readonly ChangeModel[];
  /** The account a change is applied in (the principal's, or the resource's for a generated change). */
  accountOf: (change: ChangeModel) => string;
  /** What each change (same index) newly grants, for rules with `access_levels`; undefined: not known. */
  granted?: readonly (NewlyGranted | undefined)[];
  justification?: string | undefined;
  now: Date;
}

export type AutoApproval =
  { matched: true; rule: AutoApprovalRule } | { matched: false; reasons: { rule: string; reason: string }[] };

/**
 * The first auto-approval rule every change of the request meets: an inline policy attached (and the
 * resource and trust policy changes generated for it), in one of the rule's accounts, on a principal
 * matching its patterns, whose granted Allow statements name only actions starting with its prefixes
 * (no NotAction), each expiring within its max_duration, with a justification unless the rule needs
 * none. A rule with `access_levels` also needs every action each change newly grants (wildcards and
 * NotAction expanded from the IAM data) to be at one of those levels. Other change types (managed
 * policies, boundaries, tags, trust edits) always need a person.
 */
export function matchAutoApproval(facts: AutoApprovalFacts): AutoApproval {
  const reasons: { rule: string; reason: string }[] = [];
  for (const rule of facts.rules) {
    const reason = refusalOf(rule, facts);
    if (reason === undefined) return { matched: true, rule };
    reasons.push({ rule: rule.name, reason });
  }
  return { matched: false, reasons };
}

function refusalOf(rule: AutoApprovalRule, facts: AutoApprovalFacts): string | undefined {
  if (rule.justification_required !== false && !facts.justification?.trim())
    return 'a justification is needed';
  if (!rule.principal_arns.some((p) => matchesIamPattern(p, facts.principalArn))) {
    return `${facts.principalArn} matches none of ${rule.principal_arns.join(', ')}`;
  }
  const prefixes = rule.action_prefixes?.map((p) => p.toLowerCase());
  const levels = rule.access_levels === undefined ? undefined : new Set<string>(rule.access_levels);
  const maxMs = rule.max_duration === undefined ? undefined : parseDuration(rule.max_duration);
  for (const [index, change] of facts.changes.entries()) {
    const eligible =
      (change.change_type === 'inline_policy' && change.action === 'attach') ||
      ((change.change_type === 'resource_policy' || change.change_type === 'sts_resource_policy') &&
        change.autogenerated === true);
    if (!eligible) return `a ${change.change_type} change is never approved automatically`;
    const account = facts.accountOf(change);
    if (!rule.accounts.includes(account))
      return `account ${account} is not one of ${rule.accounts.join(', ')}`;
    if (prefixes !== undefined) {
      for (const { statement } of grantedStatements(change, { requestId: '', changeIndex: index })) {
        if (statement.Effect !== 'Allow') continue;
        if ('NotAction' in statement) return 'a statement uses NotAction';
        const outside = asStrings(statement.Action).find(
          (a) => !prefixes.some((p) => a.toLowerCase().startsWith(p)),
        );
        if (outside !== undefined) return `${outside} does not start with ${prefixes.join(', ')}`;
      }
    }
    if (levels !== undefined) {
      const granted = facts.granted?.[index];
      if (granted === undefined)
        return `what change ${index} grants is not known, so its access levels are not`;
      const outside = granted.added.find((g) => !levels.has(g.accessLevel));
      if (outside !== undefined) {
        const example = outside.actions.slice(0, 3).join(', ') || `every ${outside.service} action`;
        return `${example} ${outside.actions.length === 1 ? 'is' : 'are'} ${outside.accessLevel}, not ${[...levels].join(' or ')}`;
      }
    }
    if (maxMs !== undefined) {
      const expiry = resolveExpiry(change, facts.now);
      if (expiry.kind !== 'at') return `every change must expire within ${rule.max_duration}`;
      if (expiry.at.getTime() - facts.now.getTime() > maxMs)
        return `a change lasts longer than ${rule.max_duration}`;
    }
  }
  return undefined;
}

/** Whether the request needs a justification: unless the auto-approval rule that matches it says not. */
export function justificationRequired(
  settings: PolicyRequestSettings | undefined,
  matched: AutoApprovalRule | undefined,
): boolean {
  if (matched?.justification_required === false) return false;
  return settings?.justification_required ?? true;
}
