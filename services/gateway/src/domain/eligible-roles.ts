import type { EligibleRole } from '@rolecall/shared/contracts';

/** ConsoleMe shows "Unknown" for an account without a name (Weep then shows the account number). */
export function friendlyAccountName(role: EligibleRole): string {
  return role.accountName === '' || role.accountName === role.accountId ? 'Unknown' : role.accountName;
}

/** `/api/v2/get_roles` row. */
export function toExtendedRole(role: EligibleRole) {
  return {
    arn: role.arn,
    account_id: role.accountId,
    account_friendly_name: friendlyAccountName(role),
    role_name: role.roleName,
    apps: { app_details: [] as { name: string; owner: string; owner_url: string; app_url: string }[] },
  };
}

/** `POST /api/v2/eligible_roles` row for the role-select page, sorted by the caller by account name. */
export function toEligibleRoleRow(role: EligibleRole) {
  return {
    arn: role.arn,
    account_name: friendlyAccountName(role),
    account_id: role.accountId,
    role_name: `[${role.roleName}](/policies/edit/${role.accountId}/iamrole/${role.roleName})`,
    redirect_uri: `/role/${role.arn}`,
  };
}

export function sortByAccountThenRole(roles: readonly EligibleRole[]): EligibleRole[] {
  return [...roles].sort(
    (a, b) =>
      friendlyAccountName(a).localeCompare(friendlyAccountName(b)) ||
      a.accountId.localeCompare(b.accountId) ||
      a.roleName.localeCompare(b.roleName),
  );
}
