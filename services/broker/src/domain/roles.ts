import type { CachedItem } from '@rolecall/shared/contracts';

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

/** A role as the authorization mapping keeps it (no tags: those became grants). */
export interface KnownRole {
  arn: string;
  accountId: string;
  name: string;
  maxSessionDuration?: number;
}

export function toRoleFacts(item: CachedItem): RoleFacts {
  const details = item.details ?? {};
  const max = details.maxSessionDuration;
  return {
    arn: item.arn,
    accountId: item.accountId,
    name: item.name,
    tags: item.tags ?? {},
    trustPolicy: details.assumeRolePolicyDocument,
    ...(typeof max === 'number' && Number.isInteger(max) ? { maxSessionDuration: max } : {}),
  };
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
