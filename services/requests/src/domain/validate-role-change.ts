import type { ChangeModel, ChangeOf, ChangeProblem, PolicyModel } from '@rolecall/shared/contracts';
import { isWellFormedArn, parseArn } from '@rolecall/shared/iam';
import { parsePolicy, policySize, type PolicyKind } from './parse-policy.js';
import { CREATED_BY_TAG, roleNameOf } from './role-lifecycle.js';
import { IAM_POLICY_LIMITS, type ValidationContext } from './validate-change.js';

/** IAM's rules (CreateRole): names of 1-64 of these characters, paths of `/`-separated such names. */
const ROLE_NAME = /^[A-Za-z0-9_+=,.@-]{1,64}$/;
const ROLE_PATH = /^\/([A-Za-z0-9_+=,.@-]+\/)*$/;
const MAX_PATH = 512;
const POLICY_NAME = /^[A-Za-z0-9_+=,.@-]{1,128}$/;
/** IAM's pattern for a role description. */
const DESCRIPTION = /^[\t\n\r\u0020-\u007E\u00A1-\u00FF]*$/;

type RoleChange = ChangeOf<'create_role' | 'delete_role'>;
type Add = (code: string, message: string, path?: string) => void;

export const isRoleChange = (change: ChangeModel): change is RoleChange =>
  change.change_type === 'create_role' || change.change_type === 'delete_role';

/**
 * The problems of a create_role or delete_role change against what the cache holds: a well-formed role
 * ARN with a valid name and path; for a create, no role of that ARN, valid documents, managed policies and
 * a boundary that exist in the role's account, tags IAM accepts, and a cached clone source; for a delete, a
 * cached role that is not one Rolecall itself runs on. Neither can expire.
 */
export function validateRoleChange(
  change: RoleChange,
  index: number,
  context: ValidationContext,
): ChangeProblem[] {
  const problems: ChangeProblem[] = [];
  const add: Add = (code, message, path) =>
    problems.push({ code, message, change_index: index, ...(path === undefined ? {} : { path }) });
  const arn = change.principal.principal_arn;
  // Not isWellFormedArn: a bad name in a role ARN is reported as a bad name, which says what to fix.
  const role = /^arn:aws(-[a-z]+)*:iam::/.test(arn) ? roleNameOf(arn) : undefined;
  if (role === undefined || !/^\d{12}$/.test(role.accountId)) {
    add('INVALID_ARN', `${arn} is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)`, '/principal');
    return problems;
  }
  if (!ROLE_NAME.test(role.name)) {
    add(
      'INVALID_ROLE_NAME',
      `role name "${role.name}" must be 1-64 letters, digits and +=,.@_- (IAM's rule)`,
      '/principal/principal_arn',
    );
  }
  if (!ROLE_PATH.test(role.path) || role.path.length > MAX_PATH) {
    add(
      'INVALID_ROLE_PATH',
      `role path "${role.path}" must be / or /a/b/ of letters, digits and +=,.@_-, at most ${MAX_PATH} characters`,
      '/principal/principal_arn',
    );
  }
  if (change.expiration_date !== undefined || change.expires_in !== undefined) {
    add('EXPIRY_NOT_SUPPORTED', `a ${change.change_type} change cannot expire`, '/expiration_date');
  }
  if (problems.length > 0) return problems;

  const cached = context.lookup(arn);
  if (change.change_type === 'delete_role') {
    if (cached?.kind !== 'principal' || cached.principalType !== 'role') {
      add(
        'ROLE_NOT_FOUND',
        `${arn} is not in Rolecall's cache: check the ARN, or refresh the cache if the role is new`,
      );
    } else if ((context.protectedRoleNames ?? []).some((n) => n.toLowerCase() === role.name.toLowerCase())) {
      add(
        'ROLE_PROTECTED',
        `${role.name} is a role Rolecall itself runs on and cannot be deleted through it`,
      );
    }
    return problems;
  }
  if (cached !== undefined) {
    add('ROLE_EXISTS', `${arn} exists already: choose another name`, '/principal/principal_arn');
    return problems;
  }
  checkCreateSpec(change, role.accountId, context, add);
  return problems;
}

function checkCreateSpec(
  change: ChangeOf<'create_role'>,
  accountId: string,
  context: ValidationContext,
  add: Add,
): void {
  const limits = context.limits ?? IAM_POLICY_LIMITS;
  if (change.description !== undefined && !DESCRIPTION.test(change.description)) {
    add('INVALID_DESCRIPTION', 'the description may hold printable Latin-1 characters only', '/description');
  }
  if (change.assume_role_policy === undefined) {
    add('POLICY_MISSING', 'the role to create needs a trust policy', '/assume_role_policy');
  } else {
    checkDocument(change.assume_role_policy.policy_document, 'trust', limits.trustPolicy, add, {
      path: '/assume_role_policy/policy_document',
      what: 'a trust policy',
    });
  }

  let inlineSize = 0;
  const names = new Set<string>();
  (change.inline_policies ?? []).forEach((policy, i) => {
    const path = `/inline_policies/${i}`;
    if (!POLICY_NAME.test(policy.policy_name)) {
      add(
        'INVALID_POLICY_NAME',
        `policy name "${policy.policy_name}" may hold 1-128 letters, digits and +=,.@_-`,
        `${path}/policy_name`,
      );
    } else if (names.has(policy.policy_name)) {
      add(
        'DUPLICATE_POLICY_NAME',
        `two inline policies are named ${policy.policy_name}`,
        `${path}/policy_name`,
      );
    }
    names.add(policy.policy_name);
    inlineSize += checkDocument(policy.policy_document, 'identity', limits.inlineRolePolicy, add, {
      path: `${path}/policy_document`,
      what: "a role's inline policies",
    });
  });
  if (inlineSize > limits.inlineRolePolicy) {
    add(
      'POLICY_TOO_LARGE',
      `the inline policies have ${inlineSize} characters together (without whitespace); a role's may have at most ${limits.inlineRolePolicy}`,
      '/inline_policies',
    );
  }

  const attached = new Set<string>();
  (change.managed_policy_arns ?? []).forEach((policyArn, i) => {
    const path = `/managed_policy_arns/${i}`;
    if (attached.has(policyArn.toLowerCase())) {
      add('DUPLICATE_MANAGED_POLICY', `${policyArn} is listed twice`, path);
    }
    attached.add(policyArn.toLowerCase());
    checkPolicyArn(policyArn, accountId, context, add, path);
  });
  if (change.permissions_boundary_arn !== undefined) {
    checkPolicyArn(change.permissions_boundary_arn, accountId, context, add, '/permissions_boundary_arn');
  }

  const keys = new Set<string>();
  (change.tags ?? []).forEach((tag, i) => {
    const key = tag.Key.toLowerCase();
    if (key.startsWith('aws:') || key === CREATED_BY_TAG) {
      add(
        'INVALID_TAG',
        `the tag key ${tag.Key} is reserved (aws: is AWS's, ${CREATED_BY_TAG} Rolecall's)`,
        `/tags/${i}`,
      );
    } else if (keys.has(key)) {
      add('INVALID_TAG', `the tag key ${tag.Key} is given twice (IAM tag keys ignore case)`, `/tags/${i}`);
    }
    keys.add(key);
  });

  if (change.cloned_from !== undefined || change.copy_from_source !== undefined) {
    const source = change.cloned_from === undefined ? undefined : context.lookup(change.cloned_from);
    if (change.copy_from_source !== undefined && source !== undefined) {
      add(
        'CLONE_SOURCE_UNREADABLE',
        `the ${change.copy_from_source.join(' and ')} of ${change.cloned_from ?? ''} could not be read from AWS`,
        '/copy_from_source',
      );
    } else if (source?.kind !== 'principal' || source.principalType !== 'role') {
      add(
        'CLONE_SOURCE_NOT_FOUND',
        `the role to clone, ${change.cloned_from}, is not in Rolecall's cache`,
        '/cloned_from',
      );
    }
  }
}

/** Checks one document; its size without whitespace (0 when it does not parse). */
function checkDocument(
  document: PolicyModel['policy_document'],
  kind: PolicyKind,
  limit: number,
  add: Add,
  where: { path: string; what: string },
): number {
  const parsed = parsePolicy(document, kind, where.path);
  if (!parsed.ok) {
    for (const p of parsed.problems) add(p.code, p.message, p.path);
    return 0;
  }
  const size = policySize(parsed.document);
  if (size > limit) {
    add(
      'POLICY_TOO_LARGE',
      `the document has ${size} characters (without whitespace); ${where.what} may have at most ${limit}`,
      where.path,
    );
  }
  return size;
}

/** A managed policy the new role may have: AWS's, or a customer policy cached in the role's own account. */
function checkPolicyArn(
  policyArn: string,
  accountId: string,
  context: ValidationContext,
  add: Add,
  path: string,
): void {
  const parts = isWellFormedArn(policyArn) ? parseArn(policyArn) : undefined;
  if (parts?.service !== 'iam' || !parts.resource.startsWith('policy/')) {
    add(
      'INVALID_ARN',
      `${policyArn} is not a managed policy ARN (arn:aws:iam::<account or aws>:policy/<name>)`,
      path,
    );
    return;
  }
  if (parts.account === 'aws') return;
  if (parts.account !== accountId) {
    add(
      'MANAGED_POLICY_OTHER_ACCOUNT',
      `${policyArn} is in account ${parts.account}; a role in ${accountId} can only have that account's policies or AWS's`,
      path,
    );
  } else if (context.lookup(policyArn)?.kind !== 'managed_policy') {
    add('MANAGED_POLICY_NOT_FOUND', `${policyArn} is not a managed policy in Rolecall's cache`, path);
  }
}
