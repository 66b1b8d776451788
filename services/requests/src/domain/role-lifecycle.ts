import {
  ROLECALL_CREATED_BY_TAG,
  type ChangeModel,
  type ChangeOf,
  type RoleCreationSettings,
  type Tags,
} from '@rolecall/shared/contracts';
import { canonicalJson, parseArn } from '@rolecall/shared/iam';
import { documentOf, type EditContext, type EditOutcome, type Write } from './policy-edit.js';
import type { RoleDescription } from './ports.js';
import type { PrincipalState, TargetState } from './target-state.js';

/** Rolecall's mark on a role it created (see the contract): a resumed apply finishes only its own role. */
export const CREATED_BY_TAG = ROLECALL_CREATED_BY_TAG;

/** A role's name and path, from `arn:aws:iam::<account>:role[/path/]<name>`; undefined for another ARN. */
export function roleNameOf(arn: string): { name: string; path: string; accountId: string } | undefined {
  const parts = parseArn(arn);
  if (parts?.service !== 'iam' || !parts.resource.startsWith('role/')) return undefined;
  const rest = parts.resource.slice('role'.length);
  const cut = rest.lastIndexOf('/');
  return { name: rest.slice(cut + 1), path: rest.slice(0, cut + 1), accountId: parts.account };
}

/** The trust policy Rolecall gives a new role when its request names none. */
export function defaultTrustPolicy(
  accountId: string,
  settings: RoleCreationSettings | undefined,
  hubRoleArn: string | undefined,
): Record<string, unknown> {
  const configured = settings?.account_trust_policies?.[accountId] ?? settings?.default_trust_policy;
  if (configured !== undefined) {
    // Placeholders are replaced in the document's text, so they work in any string of it.
    return JSON.parse(JSON.stringify(configured).replaceAll('{account_id}', accountId)) as Record<
      string,
      unknown
    >;
  }
  // As the demo's brokered roles: Rolecall's hub may assume it (so Rolecall can broker it), and so may the account.
  const principals = [...(hubRoleArn === undefined ? [] : [hubRoleArn]), `arn:aws:iam::${accountId}:root`];
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { AWS: principals },
        Action: ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'],
      },
    ],
  };
}

export interface RoleDefaults {
  settings: RoleCreationSettings | undefined;
  hubRoleArn: string | undefined;
}

/**
 * Fills in what a create_role change left to the defaults: the account's trust policy and session
 * duration. Done when the request is made, so the reviewers see the documents that will be written.
 */
export function prepareRoleChanges(changes: readonly ChangeModel[], defaults: RoleDefaults): ChangeModel[] {
  return changes.map((change) => {
    if (change.change_type !== 'create_role') return change;
    const accountId = roleNameOf(change.principal.principal_arn)?.accountId ?? '';
    const maxSession = change.max_session_duration ?? defaults.settings?.default_max_session_duration;
    return {
      ...change,
      assume_role_policy: change.assume_role_policy ?? {
        policy_document: defaultTrustPolicy(accountId, defaults.settings, defaults.hubRoleArn),
      },
      ...(maxSession === undefined ? {} : { max_session_duration: maxSession }),
    };
  });
}

const same = (a: unknown, b: unknown) => canonicalJson(a) === canonicalJson(b);
const sameArn = (a: string | undefined, b: string) => a !== undefined && a.toLowerCase() === b.toLowerCase();
const fail = (code: string, message: string): EditOutcome => ({ ok: false, problem: { code, message } });
const planned = (target: TargetState, writes: Write[]): EditOutcome => ({
  ok: true,
  plan: { target, writes, grantedSids: [] },
});

/** The tags a created role carries: the requested ones and Rolecall's mark of the request. */
export function createdRoleTags(change: ChangeOf<'create_role'>, context: EditContext): Tags {
  return {
    ...Object.fromEntries((change.tags ?? []).map((t) => [t.Key, t.Value])),
    [CREATED_BY_TAG]: context.requestId,
  };
}

/**
 * The writes that create the role as the change describes it. Where the role exists already and carries
 * this request's mark (an apply cut short), only what is still missing; where it exists without the mark,
 * a refusal: someone else made a role of that name.
 */
export function planCreateRole(
  state: TargetState,
  change: ChangeOf<'create_role'>,
  context: EditContext,
): EditOutcome {
  const role = roleNameOf(change.principal.principal_arn);
  const trust = documentOf(change.assume_role_policy);
  if (role === undefined) return fail('INVALID_ARN', `${change.principal.principal_arn} is not a role ARN`);
  if (trust === undefined) return fail('POLICY_MISSING', 'the role to create has no trust policy');
  const roleArn = change.principal.principal_arn;
  const tags = createdRoleTags(change, context);
  const inline = (change.inline_policies ?? []).map((p) => ({
    name: p.policy_name,
    document: documentOf({ policy_document: p.policy_document }) ?? {},
  }));
  const managed = change.managed_policy_arns ?? [];
  const boundary = change.permissions_boundary_arn;
  const profiles = change.instance_profile === true ? [role.name] : [];
  const target: PrincipalState = {
    kind: 'principal',
    arn: roleArn,
    accountId: role.accountId,
    principalType: 'role',
    inlinePolicies: Object.fromEntries(inline.map((p) => [p.name, p.document])),
    managedPolicies: managed,
    permissionsBoundary: boundary,
    assumeRolePolicy: trust,
    tags,
    instanceProfiles: profiles,
  };
  const profileWrites = (present: readonly string[]): Write[] =>
    profiles
      .filter((name) => !present.includes(name))
      .flatMap((name): Write[] => [
        { op: 'create_instance_profile', roleArn, name },
        { op: 'add_role_to_instance_profile', roleArn, name },
      ]);

  if (state.kind === 'absent') {
    return planned(target, [
      {
        op: 'create_role',
        roleArn,
        document: trust,
        tags,
        ...(change.description === undefined ? {} : { description: change.description }),
        ...(change.max_session_duration === undefined
          ? {}
          : { maxSessionDuration: change.max_session_duration }),
        ...(boundary === undefined ? {} : { boundaryArn: boundary }),
      },
      ...inline.map((p): Write => ({ op: 'put_inline_policy', principalArn: roleArn, ...p })),
      ...managed.map((policyArn): Write => ({
        op: 'attach_managed_policy',
        principalArn: roleArn,
        policyArn,
      })),
      ...profileWrites([]),
    ]);
  }
  if (state.kind !== 'principal' || state.tags[CREATED_BY_TAG] !== context.requestId) {
    return fail(
      'ROLE_EXISTS',
      `${state.arn} exists and was not created by this request: choose another name, or change that role instead`,
    );
  }
  const writes: Write[] = [];
  if (!same(state.assumeRolePolicy, trust))
    writes.push({ op: 'update_assume_role_policy', roleArn, document: trust });
  for (const p of inline) {
    if (!same(state.inlinePolicies[p.name], p.document))
      writes.push({ op: 'put_inline_policy', principalArn: roleArn, ...p });
  }
  for (const policyArn of managed) {
    if (!state.managedPolicies.some((arn) => sameArn(arn, policyArn)))
      writes.push({ op: 'attach_managed_policy', principalArn: roleArn, policyArn });
  }
  if (boundary !== undefined && !sameArn(state.permissionsBoundary, boundary))
    writes.push({ op: 'put_permissions_boundary', principalArn: roleArn, policyArn: boundary });
  for (const [key, value] of Object.entries(tags)) {
    if (state.tags[key] !== value) writes.push({ op: 'tag', arn: roleArn, key, value });
  }
  writes.push(...profileWrites(state.instanceProfiles ?? []));
  return planned(target, writes);
}

/**
 * The writes that delete the role: out of every instance profile (the one named like it, which Rolecall
 * creates with a role, deleted once empty), managed policies detached, inline policies deleted, then the
 * role. A role already gone leaves only its profile to clean up: a delete cut short finishes.
 */
export function planDeleteRole(state: TargetState, change: ChangeOf<'delete_role'>): EditOutcome {
  const role = roleNameOf(change.principal.principal_arn);
  if (role === undefined) return fail('INVALID_ARN', `${change.principal.principal_arn} is not a role ARN`);
  const roleArn = change.principal.principal_arn;
  const ownProfile: Write = { op: 'delete_instance_profile', roleArn, name: role.name };
  const gone = { kind: 'absent', arn: roleArn, accountId: role.accountId, tags: {} } as const;
  if (state.kind === 'absent') return planned(gone, [ownProfile]);
  if (state.kind !== 'principal' || state.principalType !== 'role') {
    return fail('TARGET_MISMATCH', `delete_role deletes an IAM role, not ${state.arn}`);
  }
  return planned(gone, [
    ...(state.instanceProfiles ?? []).map((name): Write => ({
      op: 'remove_role_from_instance_profile',
      roleArn,
      name,
    })),
    ownProfile,
    ...state.managedPolicies.map((policyArn): Write => ({
      op: 'detach_managed_policy',
      principalArn: roleArn,
      policyArn,
    })),
    ...Object.keys(state.inlinePolicies).map((name): Write => ({
      op: 'delete_inline_policy',
      principalArn: roleArn,
      name,
    })),
    { op: 'delete_role', roleArn },
  ]);
}

/**
 * A clone's create_role change with the parts read from its source role in AWS filled in (`found`, or
 * undefined when the source could not be read: the marker stays, and validation refuses the change).
 */
export function withSourceParts(
  change: ChangeOf<'create_role'>,
  found: RoleDescription | undefined,
): ChangeOf<'create_role'> {
  if (change.copy_from_source === undefined || found === undefined) return change;
  const { copy_from_source: copies, ...rest } = change;
  const description = copies.includes('description') ? found.description : undefined;
  const maxSession = copies.includes('max_session_duration') ? found.maxSessionDuration : undefined;
  return {
    ...rest,
    ...(description === undefined || description === '' ? {} : { description }),
    ...(maxSession === undefined ? {} : { max_session_duration: maxSession }),
  };
}
