/** The change a saved edit asks for, in the request API's ChangeModel shape (POST /api/v2/request). */
export type EditTarget =
  | { kind: 'inline_policy'; principalArn: string; policyName: string; isNew: boolean }
  | { kind: 'assume_role_policy'; principalArn: string }
  | { kind: 'resource_policy'; resourceArn: string }
  | { kind: 'managed_policy_resource'; policyArn: string };

const principal = (arn: string) => ({ principal_type: 'AwsResource' as const, principal_arn: arn });

/**
 * `onBehalfOf` is the role or user a resource-policy change is for: the request API ties every change
 * to an IAM principal, the one whose access the bucket, queue or topic policy grants.
 */
export function buildChange(
  target: EditTarget,
  document: unknown,
  onBehalfOf?: string,
): Record<string, unknown> {
  const policy = { policy_document: document };
  switch (target.kind) {
    case 'inline_policy':
      return {
        principal: principal(target.principalArn),
        change_type: 'inline_policy',
        policy_name: target.policyName,
        new: target.isNew,
        action: 'attach',
        policy,
      };
    case 'assume_role_policy':
      return { principal: principal(target.principalArn), change_type: 'assume_role_policy', policy };
    case 'resource_policy':
      return {
        principal: principal(onBehalfOf ?? ''),
        change_type: 'resource_policy',
        arn: target.resourceArn,
        policy,
      };
    case 'managed_policy_resource':
      return {
        principal: principal(target.policyArn),
        change_type: 'managed_policy_resource',
        new: false,
        policy,
      };
  }
}

export const prettyJson = (value: unknown) => JSON.stringify(value ?? {}, null, 2);
