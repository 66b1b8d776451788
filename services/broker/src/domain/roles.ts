import { checkCachedItem } from '@rolecall/cache/reader';
import type { CachedItem, CachedRole } from '@rolecall/shared/contracts';
import { Type, type Static } from 'typebox';

/** What the broker needs to know about one cached IAM role. */
export interface RoleFacts {
  arn: string;
  accountId: string;
  name: string;
  tags: Record<string, string>;
  trustPolicy: unknown;
  /** Seconds; absent when the crawl did not report it. */
  maxSessionDuration?: number;
}

/** A role as the authorization mapping keeps it in Redis (no tags: those became grants). */
export const KnownRole = Type.Object({
  arn: Type.String(),
  accountId: Type.String(),
  name: Type.String(),
  maxSessionDuration: Type.Optional(Type.Integer()),
});
export type KnownRole = Static<typeof KnownRole>;

/** What the broker needs of a role the cache's reader has checked (its details typed as a role's). */
export function factsOfRole(role: CachedRole): RoleFacts {
  const { maxSessionDuration } = role.details;
  return {
    arn: role.arn,
    accountId: role.accountId,
    name: role.name,
    tags: role.tags,
    trustPolicy: role.details.assumeRolePolicyDocument,
    ...(maxSessionDuration === undefined ? {} : { maxSessionDuration }),
  };
}

/**
 * The facts of a role as a change event carries it: the bus checks the item's common fields only, so its
 * details are checked against the role schema here. Undefined when it is no valid role; the caller treats
 * the role as absent, so a corrupt copy grants nothing.
 */
export function toRoleFacts(item: CachedItem): RoleFacts | undefined {
  const checked = checkCachedItem(item);
  return checked.ok && checked.value.itemType === 'iam_role' ? factsOfRole(checked.value) : undefined;
}

export const toKnownRole = (role: RoleFacts): KnownRole => ({
  arn: role.arn,
  accountId: role.accountId,
  name: role.name,
  ...(role.maxSessionDuration !== undefined ? { maxSessionDuration: role.maxSessionDuration } : {}),
});

/** `arn:aws:iam::123456789012:role/path/name` → `name`. */
export const roleNameOf = (arn: string): string => arn.slice(arn.lastIndexOf('/') + 1);

/** `arn:aws:iam::123456789012:role/…` → `123456789012` (empty when the ARN has no account). */
export const accountIdOf = (arn: string): string => arn.split(':')[4] ?? '';
