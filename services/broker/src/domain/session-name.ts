const MAX_LENGTH = 64;
const MIN_LENGTH = 2;

/**
 * A user name made valid for STS RoleSessionName and SourceIdentity: characters outside [\w+=,.@-]
 * become '-', at most 64 characters, at least 2 (padded with '-'). An email passes unchanged.
 */
export function toStsName(user: string): string {
  const cleaned = user.replace(/[^\w+=,.@-]/g, '-').slice(0, MAX_LENGTH);
  return cleaned.padEnd(MIN_LENGTH, '-');
}
