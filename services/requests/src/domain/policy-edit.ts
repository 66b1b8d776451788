import type { ChangeModel, ChangeOf, PolicyModel, Tags } from '@rolecall/shared/contracts';
import { isRecord, statementsOf, type PolicyStatement } from '@rolecall/shared/iam';
import { planCreateRole, planDeleteRole } from './role-lifecycle.js';
import { grantKey, omitKeys, statementKey, subtractGrant } from './statements.js';
import type { ManagedPolicyState, PrincipalState, ResourceState, TargetState } from './target-state.js';

/** One write to AWS that a plan asks for; the per-account applier carries these out in order. */
export type Write =
  | { op: 'put_inline_policy'; principalArn: string; name: string; document: Record<string, unknown> }
  | { op: 'delete_inline_policy'; principalArn: string; name: string }
  | { op: 'attach_managed_policy'; principalArn: string; policyArn: string }
  | { op: 'detach_managed_policy'; principalArn: string; policyArn: string }
  | { op: 'put_permissions_boundary'; principalArn: string; policyArn: string }
  | { op: 'delete_permissions_boundary'; principalArn: string }
  | { op: 'update_assume_role_policy'; roleArn: string; document: Record<string, unknown> }
  | {
      op: 'put_resource_policy';
      resourceArn: string;
      resourceType: ResourceState['resourceType'];
      document: Record<string, unknown>;
    }
  | { op: 'delete_resource_policy'; resourceArn: string; resourceType: ResourceState['resourceType'] }
  | { op: 'tag'; arn: string; key: string; value: string }
  | { op: 'untag'; arn: string; key: string }
  | { op: 'create_managed_policy'; policyArn: string; document: Record<string, unknown> }
  | { op: 'create_managed_policy_version'; policyArn: string; document: Record<string, unknown> }
  | {
      op: 'create_role';
      roleArn: string;
      document: Record<string, unknown>;
      tags: Tags;
      description?: string;
      maxSessionDuration?: number;
      boundaryArn?: string;
    }
  | { op: 'delete_role'; roleArn: string }
  /** An instance profile of the role's path; the next four name the profile and the role it is for. */
  | { op: 'create_instance_profile'; roleArn: string; name: string }
  | { op: 'add_role_to_instance_profile'; roleArn: string; name: string }
  | { op: 'remove_role_from_instance_profile'; roleArn: string; name: string }
  /** Deleted only while it holds no role: a profile still in use is someone else's. */
  | { op: 'delete_instance_profile'; roleArn: string; name: string };

/** Which change of which request: the Sids Rolecall gives its statements derive from it. */
export interface EditContext {
  requestId: string;
  /** The change's index in the request's changes. */
  changeIndex: number;
}

/** What is found that the plan cannot do, or what a removal found that was not as Rolecall left it. */
export interface Finding {
  code: string;
  message: string;
}

/** The state after the change and the writes that get there from the state given: none when it is there. */
export interface EditPlan {
  target: TargetState;
  writes: Write[];
  /** The Sids of the statements Rolecall's change put in a document (recorded on the change). */
  grantedSids: string[];
}

export type EditOutcome = { ok: true; plan: EditPlan } | { ok: false; problem: Finding };

export interface ExpiryPlan {
  target: TargetState;
  writes: Write[];
  /** Every way the state differed from what Rolecall had left; empty when it removed exactly its grant. */
  findings: Finding[];
}

export type ExpiryOutcome = { ok: true; plan: ExpiryPlan } | { ok: false; problem: Finding };

/**
 * `Rolecall<first 8 alphanumerics of the request id>C<change index>S`: the Sid prefix of a change's
 * statements. It marks them as Rolecall's, so expiry removes exactly them and nothing a person wrote.
 */
export function rolecallSidPrefix(context: EditContext): string {
  const id8 = context.requestId.replace(/[^A-Za-z0-9]/g, '').slice(0, 8);
  return `Rolecall${id8}C${context.changeIndex}S`;
}

/** Whether a Sid is one Rolecall gave. */
export const isRolecallSid = (sid: unknown): boolean =>
  typeof sid === 'string' && /^Rolecall[A-Za-z0-9]{0,8}C\d+S\d+$/.test(sid);

/** A policy model's document, parsed; undefined when absent or not an object (validation refuses that). */
export function documentOf(policy: PolicyModel | undefined): Record<string, unknown> | undefined {
  if (policy === undefined) return undefined;
  let value: unknown = policy.policy_document;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value) as unknown;
    } catch {
      return undefined;
    }
  }
  return isRecord(value) ? value : undefined;
}

/** A granted statement and the Sid it carries. */
export interface GrantedStatement {
  sid: string;
  statement: PolicyStatement;
}

/** The changes whose document Rolecall merges statement by statement into what is there. */
type MergingChange = ChangeOf<
  'inline_policy' | 'assume_role_policy' | 'resource_policy' | 'sts_resource_policy'
>;

/**
 * What a change grants: the statements of its document that its `old_policy` (the document when the
 * request was made; none for a new inline policy) did not have, each with Rolecall's Sid. Computed the
 * same way at apply and at expiry, so expiry knows what each Sid stood for.
 */
export function grantedStatements(change: MergingChange, context: EditContext): GrantedStatement[] {
  const before = new Set(statementsOf(baseOf(change)).map(grantKey));
  const prefix = rolecallSidPrefix(context);
  return statementsOf(documentOf(change.policy))
    .filter((s) => !before.has(grantKey(s)))
    .map((statement, index) => {
      const sid = `${prefix}${index}`;
      return { sid, statement: { Sid: sid, ...omitKeys(statement, 'Sid') } };
    });
}

function baseOf(change: MergingChange): Record<string, unknown> | undefined {
  if (change.change_type === 'inline_policy' && change.new !== false) return undefined;
  return documentOf(change.old_policy);
}

/** The grant keys of the statements the change takes out: in `old_policy`, not in its document. */
function withdrawnKeys(change: MergingChange): Set<string> {
  const after = new Set(statementsOf(documentOf(change.policy)).map(grantKey));
  return new Set(
    statementsOf(baseOf(change))
      .map(grantKey)
      .filter((key) => !after.has(key)),
  );
}

/**
 * Merges a change into the document there now, a three-way merge with `old_policy` as the base: the
 * statements the change withdrew are taken out, its granted statements are put in (where one with its Sid
 * is there, in that place), and everything else someone wrote since stays. A statement that already
 * grants exactly the same under another Sid is not added again, and is not Rolecall's to remove later.
 */
function mergeInto(
  current: unknown,
  change: MergingChange,
  context: EditContext,
): { document: Record<string, unknown>; changed: boolean; grantedSids: string[] } {
  const granted = new Map(grantedStatements(change, context).map((g) => [g.sid, g.statement]));
  const withdrawn = withdrawnKeys(change);
  const existing = statementsOf(current);
  const othersGrant = new Set(
    existing.filter((s) => !(typeof s.Sid === 'string' && granted.has(s.Sid))).map(grantKey),
  );
  const placed = new Set<string>();
  const statements: PolicyStatement[] = [];
  for (const statement of existing) {
    const ours = typeof statement.Sid === 'string' ? granted.get(statement.Sid) : undefined;
    if (ours && typeof statement.Sid === 'string') {
      statements.push(ours);
      placed.add(statement.Sid);
    } else if (!withdrawn.has(grantKey(statement))) {
      statements.push(statement);
    }
  }
  for (const [sid, statement] of granted) {
    if (placed.has(sid) || othersGrant.has(grantKey(statement))) continue;
    statements.push(statement);
    placed.add(sid);
  }
  const version = (isRecord(current) ? current.Version : undefined) ?? documentOf(change.policy)?.Version;
  const document = {
    ...(isRecord(current) ? current : {}),
    Version: version ?? '2012-10-17',
    Statement: statements,
  };
  return {
    document,
    changed: !isRecord(current) || !sameStatements(existing, statements),
    grantedSids: [...granted.keys()].filter((sid) => placed.has(sid)),
  };
}

const sameStatements = (a: readonly PolicyStatement[], b: readonly PolicyStatement[]) =>
  a.length === b.length && a.every((s, i) => statementKey(s) === statementKey(b[i] ?? {}));

const problem = (code: string, message: string): { ok: false; problem: Finding } => ({
  ok: false,
  problem: { code, message },
});

const sameArn = (a: string | undefined, b: string) => a !== undefined && a.toLowerCase() === b.toLowerCase();

/**
 * The target state of applying `change` to `state`, and the writes that get there. Applying to a state
 * that already has the change plans no write: the applier reads the current state from AWS first and
 * plans against it, so an apply repeated after a crash or by a second approver writes nothing.
 */
export function planApply(state: TargetState, change: ChangeModel, context: EditContext): EditOutcome {
  switch (change.change_type) {
    case 'inline_policy':
    case 'managed_policy':
    case 'permissions_boundary':
      return state.kind === 'principal'
        ? planPrincipalChange(state, change, context)
        : problem('TARGET_MISMATCH', `${change.change_type} changes an IAM role or user, not ${state.arn}`);
    case 'assume_role_policy':
    case 'sts_resource_policy': {
      if (state.kind !== 'principal' || state.principalType !== 'role') {
        return problem(
          'TARGET_MISMATCH',
          `${change.change_type} changes an IAM role's trust policy, not ${state.arn}`,
        );
      }
      const merged = mergeInto(state.assumeRolePolicy, change, context);
      return done(
        { ...state, assumeRolePolicy: merged.document },
        merged.changed
          ? [{ op: 'update_assume_role_policy', roleArn: state.arn, document: merged.document }]
          : [],
        merged.grantedSids,
      );
    }
    case 'resource_policy': {
      if (state.kind !== 'resource') {
        return problem(
          'TARGET_MISMATCH',
          `resource_policy changes an S3 bucket, SQS queue or SNS topic, not ${state.arn}`,
        );
      }
      const merged = mergeInto(state.policy, change, context);
      return done(
        { ...state, policy: merged.document },
        merged.changed ? [resourcePolicyWrite(state, merged.document)] : [],
        merged.grantedSids,
      );
    }
    case 'resource_tag':
      return done(...planTag(state, change));
    case 'managed_policy_resource':
      return state.kind === 'managed_policy'
        ? planManagedPolicyResource(state, change)
        : problem('TARGET_MISMATCH', `managed_policy_resource changes a managed policy, not ${state.arn}`);
    case 'create_role':
      return planCreateRole(state, change, context);
    case 'delete_role':
      return planDeleteRole(state, change);
  }
}

const done = (target: TargetState, writes: Write[], grantedSids: string[] = []): EditOutcome => ({
  ok: true,
  plan: { target, writes, grantedSids },
});

function resourcePolicyWrite(state: ResourceState, document: Record<string, unknown>): Write {
  return statementsOf(document).length === 0
    ? { op: 'delete_resource_policy', resourceArn: state.arn, resourceType: state.resourceType }
    : { op: 'put_resource_policy', resourceArn: state.arn, resourceType: state.resourceType, document };
}

function planPrincipalChange(
  state: PrincipalState,
  change: ChangeOf<'inline_policy' | 'managed_policy' | 'permissions_boundary'>,
  context: EditContext,
): EditOutcome {
  const principalArn = state.arn;
  if (change.change_type === 'managed_policy') {
    const attached = state.managedPolicies.some((arn) => sameArn(arn, change.arn));
    if (change.action === 'attach') {
      return attached
        ? done(state, [])
        : done({ ...state, managedPolicies: [...state.managedPolicies, change.arn] }, [
            { op: 'attach_managed_policy', principalArn, policyArn: change.arn },
          ]);
    }
    return attached
      ? done(
          { ...state, managedPolicies: state.managedPolicies.filter((arn) => !sameArn(arn, change.arn)) },
          [{ op: 'detach_managed_policy', principalArn, policyArn: change.arn }],
        )
      : done(state, []);
  }
  if (change.change_type === 'permissions_boundary') {
    const isSet = sameArn(state.permissionsBoundary, change.arn);
    if (change.action === 'attach') {
      return isSet
        ? done(state, [])
        : done({ ...state, permissionsBoundary: change.arn }, [
            { op: 'put_permissions_boundary', principalArn, policyArn: change.arn },
          ]);
    }
    return isSet
      ? done({ ...state, permissionsBoundary: undefined }, [
          { op: 'delete_permissions_boundary', principalArn },
        ])
      : done(state, []);
  }
  const name = change.policy_name;
  if (name === undefined)
    return problem('POLICY_NAME_MISSING', 'the inline policy change has no policy_name');
  const current = state.inlinePolicies[name];
  if (change.action === 'detach') {
    return current === undefined
      ? done(state, [])
      : done({ ...state, inlinePolicies: without(state.inlinePolicies, name) }, [
          { op: 'delete_inline_policy', principalArn, name },
        ]);
  }
  if (documentOf(change.policy) === undefined) {
    return problem('POLICY_MISSING', `the change to attach ${name} has no policy document`);
  }
  const merged = mergeInto(current, change, context);
  return done(...inlineResult(state, name, merged.document, merged.changed), merged.grantedSids);
}

/** An inline policy written, or deleted when no statement is left in it (IAM refuses an empty one). */
function inlineResult(
  state: PrincipalState,
  name: string,
  document: Record<string, unknown>,
  changed: boolean,
): [TargetState, Write[]] {
  if (!changed) return [state, []];
  if (statementsOf(document).length === 0) {
    return [
      { ...state, inlinePolicies: without(state.inlinePolicies, name) },
      [{ op: 'delete_inline_policy', principalArn: state.arn, name }],
    ];
  }
  return [
    { ...state, inlinePolicies: { ...state.inlinePolicies, [name]: document } },
    [{ op: 'put_inline_policy', principalArn: state.arn, name, document }],
  ];
}

const without = <V>(record: Readonly<Record<string, V>>, key: string): Record<string, V> =>
  omitKeys({ ...record }, key);

function planTag(state: TargetState, change: ChangeOf<'resource_tag'>): [TargetState, Write[]] {
  const tags: Tags = { ...state.tags };
  const writes: Write[] = [];
  const untag = (key: string) => {
    if (!(key in tags)) return;
    delete tags[key];
    writes.push({ op: 'untag', arn: state.arn, key });
  };
  const tag = (key: string, value: string) => {
    if (tags[key] === value) return;
    tags[key] = value;
    writes.push({ op: 'tag', arn: state.arn, key, value });
  };
  if (change.tag_action === 'delete') {
    untag(change.key);
  } else {
    if (change.original_key !== undefined && change.original_key !== change.key) untag(change.original_key);
    tag(change.key, change.value ?? '');
  }
  return [{ ...state, tags }, writes];
}

function planManagedPolicyResource(
  state: ManagedPolicyState,
  change: ChangeOf<'managed_policy_resource'>,
): EditOutcome {
  if (state.awsManaged) {
    return problem('AWS_MANAGED_POLICY_IMMUTABLE', `${state.arn} is managed by AWS and cannot be edited`);
  }
  const document = documentOf(change.policy);
  if (document === undefined)
    return problem('POLICY_MISSING', 'the managed policy change has no policy document');
  if (state.document === undefined) {
    return done({ ...state, document }, [{ op: 'create_managed_policy', policyArn: state.arn, document }]);
  }
  return sameStatements(statementsOf(state.document), statementsOf(document))
    ? done(state, [])
    : done({ ...state, document }, [{ op: 'create_managed_policy_version', policyArn: state.arn, document }]);
}

/**
 * What removing an expired grant does: exactly what the applied change granted, and nothing a person
 * added. The statements with the change's Sids come out of the document (the inline policy it created is
 * deleted once nothing else is in it); an attachment, boundary or tag is removed only while it is still
 * the one the change set. Where someone changed the grant meanwhile, only Rolecall's part is removed and
 * each difference is a finding.
 */
export function planExpiry(state: TargetState, change: ChangeModel, context: EditContext): ExpiryOutcome {
  switch (change.change_type) {
    case 'inline_policy': {
      if (change.action !== 'attach' || state.kind !== 'principal') break;
      const name = change.policy_name ?? '';
      const current = state.inlinePolicies[name];
      if (current === undefined) {
        return expired(
          state,
          [],
          [
            {
              code: 'POLICY_NOT_FOUND',
              message: `the inline policy ${name} is gone from ${state.arn}; nothing to remove`,
            },
          ],
        );
      }
      const removal = removeGranted(current, change, context, `inline policy ${name}`);
      if (change.new !== false && statementsOf(removal.document).length > 0) {
        removal.findings.push({
          code: 'POLICY_KEPT',
          message: `the inline policy ${name} holds statements Rolecall did not add, so it stays with those`,
        });
      }
      const [target, writes] = inlineResult(state, name, removal.document, removal.changed);
      return expired(target, writes, removal.findings);
    }
    case 'assume_role_policy':
    case 'sts_resource_policy': {
      if (state.kind !== 'principal' || state.principalType !== 'role') break;
      const removal = removeGranted(
        state.assumeRolePolicy,
        change,
        context,
        `the trust policy of ${state.arn}`,
      );
      const writes: Write[] = removal.changed
        ? [{ op: 'update_assume_role_policy', roleArn: state.arn, document: removal.document }]
        : [];
      return expired({ ...state, assumeRolePolicy: removal.document }, writes, removal.findings);
    }
    case 'resource_policy': {
      if (state.kind !== 'resource') break;
      const removal = removeGranted(state.policy, change, context, `the policy of ${state.arn}`);
      const writes = removal.changed ? [resourcePolicyWrite(state, removal.document)] : [];
      return expired({ ...state, policy: removal.document }, writes, removal.findings);
    }
    case 'managed_policy': {
      if (change.action !== 'attach' || state.kind !== 'principal') break;
      if (!state.managedPolicies.some((arn) => sameArn(arn, change.arn))) {
        return expired(
          state,
          [],
          [
            {
              code: 'ATTACHMENT_NOT_FOUND',
              message: `${change.arn} is no longer attached to ${state.arn}; nothing to remove`,
            },
          ],
        );
      }
      const outcome = planApply(state, { ...change, action: 'detach' }, context);
      return outcome.ok ? expired(outcome.plan.target, outcome.plan.writes, []) : outcome;
    }
    case 'permissions_boundary': {
      if (change.action !== 'attach' || state.kind !== 'principal') break;
      if (!sameArn(state.permissionsBoundary, change.arn)) {
        const now = state.permissionsBoundary ?? 'none';
        return expired(
          state,
          [],
          [
            {
              code: 'BOUNDARY_CHANGED',
              message: `the permissions boundary of ${state.arn} is now ${now}, not ${change.arn}; left as found`,
            },
          ],
        );
      }
      const outcome = planApply(state, { ...change, action: 'detach' }, context);
      return outcome.ok ? expired(outcome.plan.target, outcome.plan.writes, []) : outcome;
    }
    case 'resource_tag':
      if (change.tag_action !== 'delete') return expireTag(state, change);
      break;
    case 'managed_policy_resource':
    case 'create_role':
    case 'delete_role':
      break;
  }
  return problem(
    'EXPIRY_NOT_SUPPORTED',
    `a ${change.change_type} change${'action' in change ? ` (${change.action})` : ''} on ${state.arn} cannot expire`,
  );
}

const expired = (target: TargetState, writes: Write[], findings: Finding[]): ExpiryOutcome => ({
  ok: true,
  plan: { target, writes, findings },
});

function removeGranted(
  current: unknown,
  change: MergingChange,
  context: EditContext,
  where: string,
): { document: Record<string, unknown>; changed: boolean; findings: Finding[] } {
  const sids = new Set(change.granted_sids ?? []);
  const granted = new Map(grantedStatements(change, context).map((g) => [g.sid, g.statement]));
  const findings: Finding[] = [];
  const found = new Set<string>();
  const existing = statementsOf(current);
  const statements: PolicyStatement[] = [];
  for (const statement of existing) {
    const sid = typeof statement.Sid === 'string' && sids.has(statement.Sid) ? statement.Sid : undefined;
    if (sid === undefined) {
      statements.push(statement);
      continue;
    }
    found.add(sid);
    const ours = granted.get(sid);
    if (ours === undefined || grantKey(ours) === grantKey(statement)) continue;
    const rest = subtractGrant(statement, ours);
    if (rest.kind === 'rewritten') {
      statements.push(statement);
      findings.push({
        code: 'STATEMENT_REWRITTEN',
        message: `statement ${sid} in ${where} was rewritten by hand (more than its actions and resources); left as found`,
      });
    } else {
      statements.push(...rest.statements);
      const kept =
        rest.keptActions.length > 0 ? `; kept the actions added by hand: ${rest.keptActions.join(', ')}` : '';
      findings.push({
        code: 'STATEMENT_EDITED',
        message: `statement ${sid} in ${where} was edited by hand: removed only what Rolecall granted${kept}`,
      });
    }
  }
  for (const sid of sids) {
    if (!found.has(sid)) {
      findings.push({
        code: 'STATEMENT_NOT_FOUND',
        message: `statement ${sid} is no longer in ${where}; nothing to remove`,
      });
    }
  }
  const document = { ...(isRecord(current) ? current : {}), Statement: statements };
  return { document, changed: found.size > 0 && !sameStatements(existing, statements), findings };
}

function expireTag(state: TargetState, change: ChangeOf<'resource_tag'>): ExpiryOutcome {
  const value = change.value ?? '';
  const current = state.tags[change.key];
  if (current === undefined) {
    return expired(
      state,
      [],
      [
        {
          code: 'TAG_NOT_FOUND',
          message: `the tag ${change.key} is gone from ${state.arn}; nothing to remove`,
        },
      ],
    );
  }
  if (current !== value) {
    return expired(
      state,
      [],
      [
        {
          code: 'TAG_CHANGED',
          message: `the tag ${change.key} on ${state.arn} is now "${current}", not "${value}"; left as found`,
        },
      ],
    );
  }
  const restore: ChangeOf<'resource_tag'> =
    change.tag_action === 'update' && change.original_value !== undefined
      ? {
          ...change,
          tag_action: 'update',
          key: change.original_key ?? change.key,
          value: change.original_value,
          original_key: change.key,
        }
      : { ...change, tag_action: 'delete' };
  const [target, writes] = planTag(state, restore);
  return expired(target, writes, []);
}
