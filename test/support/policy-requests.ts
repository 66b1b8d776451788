/**
 * The body of `POST /api/v2/request` asking for one inline policy that allows `s3:GetObject` on a bucket's
 * objects: the smallest real request the workflow applies, used by the tests that follow one request through.
 */
export function inlinePolicyRequest(options: {
  roleArn: string;
  policyName: string;
  justification: string;
  bucket: string;
}) {
  return {
    justification: options.justification,
    changes: {
      changes: [
        {
          change_type: 'inline_policy',
          principal: { principal_type: 'AwsResource', principal_arn: options.roleArn },
          action: 'attach',
          policy_name: options.policyName,
          policy: {
            policy_document: {
              Version: '2012-10-17',
              Statement: [
                { Effect: 'Allow', Action: ['s3:GetObject'], Resource: `arn:aws:s3:::${options.bucket}/*` },
              ],
            },
          },
        },
      ],
    },
  };
}
