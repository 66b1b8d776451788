import {
  ROLECALL_CREATED_BY_TAG,
  type CachedItem,
  type ChangeOf,
  type CloneRoleRequestModel,
  type RoleCreationRequestModel,
  type RoleDetails,
} from '@rolecall/shared/contracts';
import { isRecord, parseArn } from '@rolecall/shared/iam';

type CreateRole = ChangeOf<'create_role'>;

const principal = (arn: string) => ({ principal_type: 'AwsResource' as const, principal_arn: arn });
const roleArn = (accountId: string, path: string, name: string) =>
  `arn:aws:iam::${accountId}:role${path}${name}`;

/** `POST /api/v2/roles` as the create_role change the request carries. */
export function buildCreateRoleChange(body: RoleCreationRequestModel): CreateRole {
  const trust = body.assume_role_policy;
  return {
    change_type: 'create_role',
    principal: principal(roleArn(body.account_id, body.path ?? '/', body.role_name)),
    // ConsoleMe's default: an instance profile unless asked not to.
    instance_profile: body.instance_profile ?? true,
    ...(body.description === undefined ? {} : { description: body.description }),
    ...(trust === undefined ? {} : { assume_role_policy: { policy_document: trust } }),
    ...(body.max_session_duration === undefined ? {} : { max_session_duration: body.max_session_duration }),
  };
}

/**
 * A customer managed policy of the source account names the same policy in the destination; AWS's own
 * and other accounts' stay as they are (validation refuses the latter: a role has only its account's).
 */
function inAccount(policyArn: string, from: string, to: string): string {
  const parts = parseArn(policyArn);
  if (parts?.account !== from) return policyArn;
  return `arn:${parts.partition}:iam::${to}:${parts.resource}`;
}

/**
 * `POST /api/v2/clone/role`: the cached source role's chosen parts as a create_role change in the
 * destination account. Tags AWS reserves and Rolecall's own mark are not copied: they describe the source.
 */
export function buildCloneRoleChange(source: CachedItem, body: CloneRoleRequestModel): CreateRole {
  const details = source.details as Partial<RoleDetails>;
  const { options } = body;
  const from = source.accountId;
  const to = body.dest_account_id;
  const tags = Object.entries(source.tags)
    .filter(([key]) => !key.toLowerCase().startsWith('aws:') && key !== ROLECALL_CREATED_BY_TAG)
    .map(([Key, Value]) => ({ Key, Value }));
  // The cache lacks both (IAM's account listing omits them): the requests service reads them from the source.
  const copies = [
    ...(options.copy_description === true ? (['description'] as const) : []),
    ...(options.max_session_duration === true ? (['max_session_duration'] as const) : []),
  ];
  const description = options.copy_description === true ? undefined : options.description;
  const trust = details.assumeRolePolicyDocument;
  const boundary = details.permissionsBoundary?.arn;
  return {
    change_type: 'create_role',
    principal: principal(roleArn(to, details.path ?? '/', body.dest_role_name)),
    cloned_from: source.arn,
    instance_profile: options.instance_profile === true,
    ...(description === undefined || description === '' ? {} : { description }),
    ...(options.assume_role_policy === true && isRecord(trust)
      ? { assume_role_policy: { policy_document: trust } }
      : {}),
    ...(copies.length > 0 ? { copy_from_source: copies } : {}),
    ...(options.inline_policies === true
      ? {
          inline_policies: (details.inlinePolicies ?? []).flatMap((p) =>
            isRecord(p.document) ? [{ policy_name: p.name, policy_document: p.document }] : [],
          ),
        }
      : {}),
    ...(options.managed_policies === true
      ? { managed_policy_arns: (details.managedPolicies ?? []).map((p) => inAccount(p.arn, from, to)) }
      : {}),
    ...(options.boundary === true && boundary !== undefined
      ? { permissions_boundary_arn: inAccount(boundary, from, to) }
      : {}),
    ...(options.tags === true && tags.length > 0 ? { tags } : {}),
  };
}

/** `DELETE /api/v2/roles/{account}/{role}` for the cached role. */
export const buildDeleteRoleChange = (role: CachedItem): ChangeOf<'delete_role'> => ({
  change_type: 'delete_role',
  principal: principal(role.arn),
});
