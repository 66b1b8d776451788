/** What a role needs on the command line; Weep does the signing in (challenge login) by itself. */
export interface RoleSnippets {
  weep: string;
  profile: string;
  exportCommand: string;
}

/** A profile name AWS config accepts: letters, digits and dashes from the account and role names. */
export function profileName(accountName: string, roleName: string): string {
  return `${accountName}-${roleName}`
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .toLowerCase();
}

export function roleSnippets(
  role: { arn: string; accountName: string; roleName: string },
  region: string,
): RoleSnippets {
  return {
    weep: `weep console ${role.arn}`,
    profile: [
      `[profile ${profileName(role.accountName, role.roleName)}]`,
      `credential_process = weep credential_process ${role.arn}`,
      `region = ${region}`,
    ].join('\n'),
    exportCommand: `eval $(weep export ${role.arn})`,
  };
}
