import type {
  AttachedPermissionsBoundary,
  AttachedPolicy,
  GroupDetail,
  ManagedPolicyDetail,
  PolicyDetail,
  RoleDetail,
  UserDetail,
} from '@aws-sdk/client-iam';
import type { CrawledItem, RoleDetails } from '@rolecall/shared/contracts';
import { decodePolicyDocument, isoDate, lastSegment, tagsFromList } from './aws-mapping.js';

const inlinePolicies = (list: PolicyDetail[] | undefined) =>
  (list ?? []).map((p) => ({ name: p.PolicyName ?? '', document: decodePolicyDocument(p.PolicyDocument) }));

const managedPolicies = (list: AttachedPolicy[] | undefined) =>
  (list ?? []).map((p) => ({ name: p.PolicyName ?? '', arn: p.PolicyArn ?? '' }));

const boundary = (b: AttachedPermissionsBoundary | undefined) =>
  b?.PermissionsBoundaryArn
    ? { type: b.PermissionsBoundaryType ?? 'PermissionsBoundaryPolicy', arn: b.PermissionsBoundaryArn }
    : undefined;

/** Drops undefined values so details compare (and hash) the same however AWS omitted a field. */
function compact<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

export function mapRoleDetail(role: RoleDetail, accountId: string): CrawledItem | undefined {
  if (!role.Arn || !role.RoleName) return undefined;
  const lastUsed = role.RoleLastUsed
    ? compact({ date: isoDate(role.RoleLastUsed.LastUsedDate), region: role.RoleLastUsed.Region })
    : undefined;
  const details: RoleDetails = compact({
    path: role.Path ?? '/',
    roleId: role.RoleId ?? '',
    createDate: isoDate(role.CreateDate),
    assumeRolePolicyDocument: decodePolicyDocument(role.AssumeRolePolicyDocument),
    inlinePolicies: inlinePolicies(role.RolePolicyList),
    managedPolicies: managedPolicies(role.AttachedManagedPolicies),
    permissionsBoundary: boundary(role.PermissionsBoundary),
    lastUsed: lastUsed && Object.keys(lastUsed).length > 0 ? lastUsed : undefined,
  });
  return {
    arn: role.Arn,
    itemType: 'iam_role',
    accountId,
    region: 'global',
    name: role.RoleName,
    tags: tagsFromList(role.Tags),
    details,
  };
}

export function mapUserDetail(user: UserDetail, accountId: string): CrawledItem | undefined {
  if (!user.Arn || !user.UserName) return undefined;
  return {
    arn: user.Arn,
    itemType: 'iam_user',
    accountId,
    region: 'global',
    name: user.UserName,
    tags: tagsFromList(user.Tags),
    details: compact({
      path: user.Path ?? '/',
      userId: user.UserId ?? '',
      createDate: isoDate(user.CreateDate),
      inlinePolicies: inlinePolicies(user.UserPolicyList),
      managedPolicies: managedPolicies(user.AttachedManagedPolicies),
      groups: user.GroupList ?? [],
      permissionsBoundary: boundary(user.PermissionsBoundary),
    }),
  };
}

export function mapGroupDetail(group: GroupDetail, accountId: string): CrawledItem | undefined {
  if (!group.Arn || !group.GroupName) return undefined;
  return {
    arn: group.Arn,
    itemType: 'iam_group',
    accountId,
    region: 'global',
    name: group.GroupName,
    tags: {},
    details: compact({
      path: group.Path ?? '/',
      groupId: group.GroupId ?? '',
      createDate: isoDate(group.CreateDate),
      inlinePolicies: inlinePolicies(group.GroupPolicyList),
      managedPolicies: managedPolicies(group.AttachedManagedPolicies),
    }),
  };
}

/** A customer managed policy with its default version's document. */
export function mapManagedPolicyDetail(
  policy: ManagedPolicyDetail & { Tags?: { Key?: string; Value?: string }[] },
  accountId: string,
): CrawledItem | undefined {
  if (!policy.Arn) return undefined;
  // Some endpoints (moto) omit PolicyName here; the ARN's last segment is the name.
  const name = policy.PolicyName ?? lastSegment(policy.Arn, '/');
  const defaultVersion =
    policy.PolicyVersionList?.find((v) => v.IsDefaultVersion) ??
    policy.PolicyVersionList?.find((v) => v.VersionId === policy.DefaultVersionId);
  return {
    arn: policy.Arn,
    itemType: 'managed_policy',
    accountId,
    region: 'global',
    name,
    tags: tagsFromList(policy.Tags),
    details: compact({
      path: policy.Path ?? '/',
      policyId: policy.PolicyId ?? '',
      description: policy.Description,
      defaultVersionId: policy.DefaultVersionId,
      document: decodePolicyDocument(defaultVersion?.Document),
      attachmentCount: policy.AttachmentCount ?? 0,
      permissionsBoundaryUsageCount: policy.PermissionsBoundaryUsageCount ?? 0,
      isAttachable: policy.IsAttachable,
      createDate: isoDate(policy.CreateDate),
      updateDate: isoDate(policy.UpdateDate),
    }),
  };
}
