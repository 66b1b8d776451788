import { useQuery } from '@tanstack/react-query';
import { api } from '../../api/client';
import type { Change, CreationBody } from '../requests/requests-api';
import { useSettled } from '../requests/use-settled';

/* The wizard's routes in ConsoleMe's shapes (packages/shared/src/contracts/self-service.ts and access.ts). */

export interface SelfServiceInput {
  name: string;
  type: 'typeahead_input' | 'text_input' | 'single_typeahead_input';
  text: string;
  required: boolean;
  default?: string;
  typeahead_endpoint?: string;
}

export interface SelfServicePermission {
  text: string;
  description: string;
  inputs: SelfServiceInput[];
  action_map: { name: string; text: string; permissions: string[] }[];
}

export interface SelfServiceConfig {
  admin_bypass_approval_enabled: boolean;
  help_message: string;
  permissions_map: Record<string, SelfServicePermission>;
}

export interface PermissionTemplate {
  key: string;
  text: string;
  value: string;
}

export interface ChangeGenerator {
  principal: { principal_type: 'AwsResource'; principal_arn: string };
  generator_type: string;
  action_groups?: string[];
  policy?: unknown;
  expires_in?: string;
  expiration_date?: string;
  [field: string]: unknown;
}

export interface AccessDeniedAnswer {
  recognized: boolean;
  principal?: string;
  grantee?: string;
  action?: string;
  resource?: string;
  deniedBy: string;
  canRequest: boolean;
  explanation: string;
  request?: CreationBody;
}

export function useSelfServiceConfig() {
  return useQuery({
    queryKey: ['selfservice', 'config'],
    queryFn: ({ signal }) => api<SelfServiceConfig>('/api/v2/self_service_config', { signal }),
    staleTime: Infinity,
  });
}

export function usePermissionTemplates() {
  return useQuery({
    queryKey: ['selfservice', 'templates'],
    queryFn: ({ signal }) =>
      api<{ permission_templates: PermissionTemplate[] }>('/api/v2/permission_templates', { signal }),
    select: (reply) => reply.permission_templates,
  });
}

export const generateChanges = (changes: ChangeGenerator[]) =>
  api<{ changes: Change[] }>('/api/v2/generate_changes', { method: 'POST', body: { changes } });

export const readAccessDenied = (message: string) =>
  api<AccessDeniedAnswer>('/api/v3/access-denied', { method: 'POST', body: { message } });

/**
 * Options for a typeahead box. `endpoint` is a gateway path with `{query}` where the text goes
 * (self_service_config's inputs), answering `[{title}]` or a list of ARNs.
 */
export function useTypeahead(endpoint: string, text: string, keep: (title: string) => boolean = () => true) {
  const query = useSettled(text.trim());
  return useQuery({
    queryKey: ['typeahead', endpoint, query],
    enabled: query.length > 0,
    queryFn: ({ signal }) =>
      api<({ title: string } | string)[]>(endpoint.replace('{query}', encodeURIComponent(query)), { signal }),
    select: (items) => items.map((item) => (typeof item === 'string' ? item : item.title)).filter(keep),
    staleTime: 30_000,
  });
}

/** The roles and users a request can be for: IAM ARNs from the resource cache. */
export const PRINCIPAL_TYPEAHEAD = '/api/v2/typeahead/resources?resource_type=iam&limit=50&typeahead={query}';
export const isPrincipalArn = (arn: string) => /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\//.test(arn);
