import type { Identity } from './approval-rules.js';

/**
 * Whether the caller is a Rolecall admin: one of their groups is in `auth.adminGroups`. The same test as
 * the gateway's auth plugin: the gateway lowercases the groups it passes when `auth.lowercaseGroups` is on,
 * so the configured names are lowercased the same way.
 */
export function isAdmin(identity: Identity, adminGroups: readonly string[], lowercase: boolean): boolean {
  const admins = new Set(adminGroups.map((g) => (lowercase ? g.toLowerCase() : g)));
  return identity.groups.some((g) => admins.has(g));
}
