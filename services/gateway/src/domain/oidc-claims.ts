/**
 * A claim by name, where dots reach into nested objects (`realm_access.roles`, as Keycloak puts roles).
 * A claim whose name itself contains dots (`https://example.com/groups`) is found first as it is.
 */
export function claimAt(claims: Readonly<Record<string, unknown>>, name: string): unknown {
  if (name in claims) return claims[name];
  let value: unknown = claims;
  for (const part of name.split('.')) {
    if (value === null || typeof value !== 'object' || !(part in value)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** Groups from a claim that is a list of strings or one comma-separated string; anything else gives none. */
export function groupsFromClaim(value: unknown): string[] {
  const raw = typeof value === 'string' ? value.split(',') : Array.isArray(value) ? value : [];
  const groups = raw
    .filter((group): group is string => typeof group === 'string')
    .map((group) => group.trim())
    .filter((group) => group.length > 0);
  return [...new Set(groups)];
}
