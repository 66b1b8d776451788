import { useQuery } from '@tanstack/react-query';
import { api } from './client';

/** An inline policy as the crawler records it. */
export interface NamedPolicy {
  name: string;
  document: unknown;
}

export interface AttachedPolicy {
  name: string;
  arn: string;
}

export interface CachedItem {
  arn: string;
  itemType: string;
  accountId: string;
  region: string;
  name: string;
  tags: Record<string, string>;
  lastSeenAt: string;
  details: Record<string, unknown>;
  [key: string]: unknown;
}

export function useCachedItem(arn: string | undefined) {
  return useQuery({
    queryKey: ['item', arn],
    enabled: arn !== undefined,
    queryFn: ({ signal }) =>
      api<{ item: CachedItem; accountName: string }>('/api/v3/resources/item', { signal, query: { arn } }),
  });
}

/** ConsoleMe's role links name the role only (`/policies/edit/{account}/iamrole/{name}`): find its ARN. */
export function useRoleArn(accountId: string, roleName: string | undefined) {
  return useQuery({
    queryKey: ['role-arn', accountId, roleName],
    enabled: roleName !== undefined,
    queryFn: ({ signal }) =>
      api<{ arn: string }>(`/api/v2/roles/${accountId}/${encodeURIComponent(roleName ?? '')}`, { signal }),
    select: (data) => data.arn,
  });
}
