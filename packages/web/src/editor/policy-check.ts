import { api, isApiError } from '../api/client';
import type { Finding } from '../api/types';

export type PolicyType = 'identity' | 'resource' | 'trust';

export interface CheckResult {
  findings: Finding[];
  /** False when this Rolecall has no policy checker (the route answered 404): the editor says so once. */
  available: boolean;
}

/** `POST /api/v2/policies/check`: findings for a document as it is being typed. */
export async function checkPolicy(
  policy: unknown,
  policyType: PolicyType,
  resourceArns: string[] | undefined,
  signal?: AbortSignal,
): Promise<CheckResult> {
  try {
    const reply = await api<{ findings: Finding[] }>('/api/v2/policies/check', {
      method: 'POST',
      body: {
        policy,
        policy_type: policyType,
        ...(resourceArns?.length ? { resource_arns: resourceArns } : {}),
      },
      ...(signal ? { signal } : {}),
    });
    return { findings: reply.findings, available: true };
  } catch (error) {
    if (isApiError(error) && error.status === 404 && error.code === 'ROUTE_NOT_FOUND') {
      return { findings: [], available: false };
    }
    throw error;
  }
}
