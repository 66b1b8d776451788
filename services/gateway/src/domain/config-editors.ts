import type { DynamicConfigDocument } from '@rolecall/shared/dynamic-config';
import { isAdmin, type Identity } from './identity.js';

/**
 * Who may read and edit the dynamic config: Rolecall admins (`auth.adminGroups`) and the members of
 * the dynamic config's own `groups.can_edit_config`, which (as ConsoleMe's `is_in_group`) may name
 * groups or individual users.
 */
export function canEditDynamicConfig(
  identity: Identity,
  document: DynamicConfigDocument,
  options: { adminGroups: readonly string[]; lowercase: boolean },
): boolean {
  if (isAdmin(identity, options.adminGroups, options.lowercase)) return true;
  const norm = (value: string) => (options.lowercase ? value.toLowerCase() : value);
  const editors = new Set((document.groups?.can_edit_config ?? []).map(norm));
  return editors.has(norm(identity.user)) || identity.groups.some((g) => editors.has(norm(g)));
}
