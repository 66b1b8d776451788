import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from './client';
import type { EligibleRole } from './types';

/** One definition for the hook and for the early fetch at start-up (see app/preload.ts). */
export const eligibleRolesQuery = queryOptions({
  queryKey: ['roles', 'eligible'],
  queryFn: ({ signal }) => api<{ roles: EligibleRole[] }>('/api/v3/roles/eligible', { signal }),
});

const rolesOf = (data: { roles: EligibleRole[] }) => data.roles;

export function useEligibleRoles() {
  return useQuery({ ...eligibleRolesQuery, select: rolesOf });
}

/** The console regions offered per role; the deployment's own regions come first when known. */
export const CONSOLE_REGIONS = [
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'ca-central-1',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eu-central-1',
  'eu-north-1',
  'ap-south-1',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-southeast-1',
  'ap-southeast-2',
  'sa-east-1',
] as const;

/** The deep link ConsoleMe had, which also opens the console from bookmarks and chat tools. */
export const roleLoginPath = (arn: string, region: string) => `/role/${arn}?r=${encodeURIComponent(region)}`;
