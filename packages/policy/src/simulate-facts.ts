/**
 * An IAM role or user as the cache holds it (or as it would be once a request is applied): the same
 * fields as the requests service's principal state, plus a user's groups.
 */
export interface PrincipalFacts {
  arn: string;
  accountId: string;
  principalType: 'role' | 'user';
  /** name → parsed document. */
  inlinePolicies: Readonly<Record<string, unknown>>;
  /** ARNs of the attached managed policies. */
  managedPolicies: readonly string[];
  permissionsBoundary?: string | undefined;
  /** Roles only: the trust policy. */
  assumeRolePolicy?: unknown;
  /** Users only: the names of their groups. */
  groups?: readonly string[] | undefined;
}

/** An IAM group: its policies apply to every member. */
export interface GroupFacts {
  arn: string;
  name: string;
  inlinePolicies: Readonly<Record<string, unknown>>;
  managedPolicies: readonly string[];
}

/** The resources whose policy Rolecall crawls. */
export type PolicyResourceType = 's3_bucket' | 'sqs_queue' | 'sns_topic';

/** A bucket, queue or topic: the account it is in and its policy (null when it has none). */
export interface ResourceFacts {
  arn: string;
  accountId: string;
  resourceType: PolicyResourceType;
  policy: unknown;
}

/**
 * What the simulator reads: the cached state, or the cached state with a request's changes applied.
 * Each answers undefined for what the cache does not hold; the simulator says so instead of guessing.
 */
export interface AccessFacts {
  principal(arn: string): Promise<PrincipalFacts | undefined>;
  /** A user's group by name, in the user's account. */
  group(accountId: string, name: string): Promise<GroupFacts | undefined>;
  /** A managed policy's default version document; undefined when not cached (AWS managed policies are not crawled). */
  managedPolicy(arn: string): Promise<unknown>;
  resource(arn: string): Promise<ResourceFacts | undefined>;
}
