import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';
import { api } from './client';
import type { CacheStatusRow, ResourcePage } from './types';

export interface ResourceFilter {
  query: string;
  type: string;
  account: string;
  tag: string;
}

/** The query of one page of the server-side search, for the hook and for fetching ahead of a render. */
export function resourcePageQuery(filter: ResourceFilter, cursor: string | undefined, limit: number) {
  return queryOptions({
    queryKey: ['resources', filter, cursor, limit],
    queryFn: ({ signal }) =>
      api<ResourcePage>('/api/v3/resources', {
        signal,
        query: {
          query: filter.query.trim() || undefined,
          type: filter.type || undefined,
          account: filter.account || undefined,
          tag: filter.tag.trim() || undefined,
          cursor,
          limit,
        },
      }),
    staleTime: 15_000,
  });
}

/**
 * One page of the search; the previous page stays on screen while the next one loads. A page no longer
 * asked for (the filter changed meanwhile) is cancelled: its query loses its last observer and its fetch
 * is aborted through `signal`.
 */
export function useResourcePage(filter: ResourceFilter, cursor: string | undefined, limit: number) {
  return useQuery({ ...resourcePageQuery(filter, cursor, limit), placeholderData: keepPreviousData });
}

/** Crawl status per account and type; polled quickly while a crawl runs so progress shows live. */
export function useCacheStatus() {
  return useQuery({
    queryKey: ['cache', 'status'],
    queryFn: ({ signal }) => api<{ data: CacheStatusRow[] }>('/api/v3/cache/status', { signal }),
    select: (data) => data.data,
    refetchInterval: (query) => (query.state.data?.data.some((row) => row.running) ? 2_000 : 30_000),
  });
}

export const ITEM_TYPE_LABELS: Record<string, string> = {
  iam_role: 'IAM role',
  iam_user: 'IAM user',
  iam_group: 'IAM group',
  managed_policy: 'Managed policy',
  s3_bucket: 'S3 bucket',
  sqs_queue: 'SQS queue',
  sns_topic: 'SNS topic',
  config_resource: 'AWS Config resource',
};

/**
 * The resource page of an ARN, on ConsoleMe's paths (`/policies/edit/{account}/{kind}/…`), so its
 * bookmarks keep working. The item's own ARN goes along, so the page never has to guess a path.
 */
export function resourcePagePath(row: {
  arn: string;
  itemType: string;
  accountId: string;
  name: string;
  region?: string;
}): string {
  const resource = row.arn.split(':').slice(5).join(':');
  const afterSlash = resource.slice(resource.indexOf('/') + 1);
  switch (row.itemType) {
    case 'iam_role':
      return `/policies/edit/${row.accountId}/iamrole/${afterSlash}`;
    case 'iam_user':
      return `/policies/edit/${row.accountId}/iamuser/${afterSlash}`;
    case 'iam_group':
      return `/policies/edit/${row.accountId}/iamgroup/${afterSlash}`;
    case 'managed_policy':
      return `/policies/edit/${row.accountId}/managed_policy/${afterSlash}`;
    case 's3_bucket':
      return `/policies/edit/${row.accountId}/s3/${row.name}`;
    case 'sqs_queue':
      return `/policies/edit/${row.accountId}/sqs/${row.region ?? ''}/${row.name}`;
    case 'sns_topic':
      return `/policies/edit/${row.accountId}/sns/${row.region ?? ''}/${row.name}`;
    default:
      return `/policies/edit/${row.accountId}/config/${encodeURIComponent(row.arn)}`;
  }
}

/** The ARN a resource page path names (the inverse of resourcePagePath). */
export function arnOfResourcePath(accountId: string, kind: string, rest: string): string | undefined {
  switch (kind) {
    case 'iamrole':
      return `arn:aws:iam::${accountId}:role/${rest}`;
    case 'iamuser':
      return `arn:aws:iam::${accountId}:user/${rest}`;
    case 'iamgroup':
      return `arn:aws:iam::${accountId}:group/${rest}`;
    case 'managed_policy':
      return `arn:aws:iam::${accountId}:policy/${rest}`;
    case 's3':
      return `arn:aws:s3:::${rest}`;
    case 'sqs':
    case 'sns': {
      const [region, ...name] = rest.split('/');
      return region && name.length > 0
        ? `arn:aws:${kind}:${region}:${accountId}:${name.join('/')}`
        : undefined;
    }
    case 'config':
      return decodeURIComponent(rest);
    default:
      return undefined;
  }
}
