import { describe, expect, it } from 'vitest';
import { answerAccessDenied } from './access-denied-request.js';
import { parseAccessDenied, type ParsedAccessDenied } from './access-denied.js';

/*
 * Message forms from AWS's documentation ("Troubleshoot access denied error messages" in the IAM User
 * Guide, and the service guides' troubleshooting pages for S3, EC2, KMS, STS, Lambda, DynamoDB and SNS),
 * with their example account ids and names, as the CLI prints them (with its "An error occurred" prefix)
 * or as the console and SDKs show them (without).
 */
const CASES: readonly { name: string; message: string; expected: Partial<ParsedAccessDenied> }[] = [
  {
    name: 'no identity-based policy, no resource named (IAM guide)',
    message:
      'User: arn:aws:iam::123456789012:user/mateojackson is not authorized to perform: codecommit:ListRepositories because no identity-based policy allows the codecommit:ListRepositories action',
    expected: {
      principal: 'arn:aws:iam::123456789012:user/mateojackson',
      action: 'codecommit:ListRepositories',
      deniedBy: 'no_identity_policy',
      denial: 'implicit',
    },
  },
  {
    name: 'explicit deny in a service control policy (IAM guide)',
    message:
      'An error occurred (AccessDeniedException) when calling the ListRepositories operation: User: arn:aws:iam::777788889999:user/MaryMajor is not authorized to perform: codecommit:ListRepositories with an explicit deny in a service control policy',
    expected: {
      errorCode: 'AccessDeniedException',
      operation: 'ListRepositories',
      deniedBy: 'scp',
      denial: 'explicit',
    },
  },
  {
    name: 'no service control policy allows (implicit SCP deny)',
    message:
      'User: arn:aws:iam::777788889999:user/MaryMajor is not authorized to perform: codecommit:ListRepositories because no service control policy allows the codecommit:ListRepositories action',
    expected: { deniedBy: 'scp', denial: 'implicit' },
  },
  {
    name: 'explicit deny in a permissions boundary',
    message:
      'User: arn:aws:iam::123456789012:user/mateojackson is not authorized to perform: s3:PutObject on resource: arn:aws:s3:::amzn-s3-demo-bucket/report.csv with an explicit deny in a permissions boundary',
    expected: {
      resource: 'arn:aws:s3:::amzn-s3-demo-bucket/report.csv',
      deniedBy: 'permissions_boundary',
      denial: 'explicit',
    },
  },
  {
    name: 'no permissions boundary allows',
    message:
      'User: arn:aws:sts::123456789012:assumed-role/Developer/mateo is not authorized to perform: dynamodb:DeleteTable on resource: arn:aws:dynamodb:us-east-1:123456789012:table/Books because no permissions boundary allows the dynamodb:DeleteTable action',
    expected: { deniedBy: 'permissions_boundary', denial: 'implicit' },
  },
  {
    name: 'explicit deny in a resource-based policy, S3 quoting the resource',
    message:
      'An error occurred (AccessDenied) when calling the PutObject operation: User: arn:aws:sts::111122223333:assumed-role/etl-writer/etl is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::amzn-s3-demo-bucket/exports/report.parquet" with an explicit deny in a resource-based policy',
    expected: {
      resource: 'arn:aws:s3:::amzn-s3-demo-bucket/exports/report.parquet',
      deniedBy: 'explicit_deny_resource',
      denial: 'explicit',
    },
  },
  {
    name: 'no resource-based policy allows (KMS key policy)',
    message:
      'An error occurred (AccessDeniedException) when calling the Decrypt operation: User: arn:aws:sts::111122223333:assumed-role/ExampleRole/session is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab because no resource-based policy allows the kms:Decrypt action',
    expected: {
      action: 'kms:Decrypt',
      resource: 'arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      deniedBy: 'resource_policy',
      denial: 'implicit',
    },
  },
  {
    name: 'explicit deny in an identity-based policy with the policy ARN and console link',
    message:
      'User: arn:aws:iam::123456789012:user/janedoe is not authorized to perform: iam:CreateInstanceProfile on resource: arn:aws:iam::123456789012:instance-profile/my-instance-profile with an explicit deny in an identity-based policy: arn:aws:iam::123456789012:policy/ExampleDenyPolicy. Go to https://us-east-1.console.aws.amazon.com/iam/home?region=us-east-1#/authorization-details/EXAMPLE1a2b3c4d5e',
    expected: {
      deniedBy: 'explicit_deny_identity',
      denial: 'explicit',
      policyArn: 'arn:aws:iam::123456789012:policy/ExampleDenyPolicy',
    },
  },
  {
    name: 'explicit deny in a session policy',
    message:
      'User: arn:aws:sts::123456789012:assumed-role/ReadOnly/alice is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::amzn-s3-demo-bucket/a.txt with an explicit deny in a session policy',
    expected: { deniedBy: 'session_policy', denial: 'explicit' },
  },
  {
    name: 'explicit deny in a resource control policy',
    message:
      'User: arn:aws:iam::123456789012:user/mateojackson is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::amzn-s3-demo-bucket/a.txt with an explicit deny in a resource control policy',
    expected: { deniedBy: 'rcp', denial: 'explicit' },
  },
  {
    name: 'explicit deny in a VPC endpoint policy',
    message:
      'User: arn:aws:iam::123456789012:user/mateojackson is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::amzn-s3-demo-bucket/a.txt with an explicit deny in a VPC endpoint policy',
    expected: { deniedBy: 'vpc_endpoint_policy', denial: 'explicit' },
  },
  {
    name: 'STS AssumeRole across accounts, no because clause',
    message:
      'An error occurred (AccessDenied) when calling the AssumeRole operation: User: arn:aws:iam::123456789012:user/alice is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::987654321098:role/Deploy',
    expected: {
      action: 'sts:AssumeRole',
      resource: 'arn:aws:iam::987654321098:role/Deploy',
      deniedBy: 'unknown',
      denial: 'unstated',
    },
  },
  {
    name: 'Lambda Invoke, no identity-based policy',
    message:
      'An error occurred (AccessDeniedException) when calling the Invoke operation: User: arn:aws:iam::123456789012:user/developer is not authorized to perform: lambda:InvokeFunction on resource: arn:aws:lambda:us-east-2:123456789012:function:my-function because no identity-based policy allows the lambda:InvokeFunction action',
    expected: { action: 'lambda:InvokeFunction', deniedBy: 'no_identity_policy' },
  },
  {
    name: 'DynamoDB PutItem from an EC2 instance role, wrapped over lines',
    message:
      'An error occurred (AccessDeniedException) when calling the PutItem operation:\n  User: arn:aws:sts::123456789012:assumed-role/app-role/i-0123456789abcdef0 is not authorized\n  to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:123456789012:table/Orders\n  because no identity-based policy allows the dynamodb:PutItem action',
    expected: {
      principal: 'arn:aws:sts::123456789012:assumed-role/app-role/i-0123456789abcdef0',
      resource: 'arn:aws:dynamodb:us-east-1:123456789012:table/Orders',
      deniedBy: 'no_identity_policy',
    },
  },
  {
    name: 'SNS writes its prefix in capitals',
    message:
      'An error occurred (AuthorizationError) when calling the Publish operation: User: arn:aws:iam::123456789012:user/bob is not authorized to perform: SNS:Publish on resource: arn:aws:sns:us-east-1:123456789012:alerts because no identity-based policy allows the SNS:Publish action',
    expected: {
      action: 'sns:Publish',
      resource: 'arn:aws:sns:us-east-1:123456789012:alerts',
      deniedBy: 'no_identity_policy',
    },
  },
  {
    name: 'EC2 UnauthorizedOperation with only an encoded message',
    message:
      'An error occurred (UnauthorizedOperation) when calling the RunInstances operation: You are not authorized to perform this operation. Encoded authorization failure message: 6BjT3m7nTj9sMqZqTsqXb0Rn4eKz-AbCdEf_gHiJ',
    expected: {
      errorCode: 'UnauthorizedOperation',
      operation: 'RunInstances',
      encodedMessage: '6BjT3m7nTj9sMqZqTsqXb0Rn4eKz-AbCdEf_gHiJ',
      deniedBy: 'unknown',
    },
  },
  {
    name: 'EC2 UnauthorizedOperation naming the caller and an encoded message',
    message:
      'An error occurred (UnauthorizedOperation) when calling the StartInstances operation: You are not authorized to perform this operation. User: arn:aws:sts::123456789012:assumed-role/ops/jane is not authorized to perform: ec2:StartInstances on resource: arn:aws:ec2:us-east-1:123456789012:instance/i-0abcd1234efgh5678 because no identity-based policy allows the ec2:StartInstances action. Encoded authorization failure message: QWxsb3dlZA',
    expected: {
      action: 'ec2:StartInstances',
      resource: 'arn:aws:ec2:us-east-1:123456789012:instance/i-0abcd1234efgh5678',
      deniedBy: 'no_identity_policy',
      encodedMessage: 'QWxsb3dlZA',
    },
  },
  {
    name: "S3's bare Access Denied",
    message: 'An error occurred (AccessDenied) when calling the GetObject operation: Access Denied',
    expected: { errorCode: 'AccessDenied', operation: 'GetObject', deniedBy: 'unknown', denial: 'unstated' },
  },
  {
    name: 'the Java SDK form of S3 Access Denied',
    message:
      'com.amazonaws.services.s3.model.AmazonS3Exception: Access Denied (Service: Amazon S3; Status Code: 403; Error Code: AccessDenied; Request ID: 4Z4NJ0Q3PJ1C1B5J)',
    expected: { errorCode: 'AccessDenied', deniedBy: 'unknown' },
  },
  {
    name: 'an explicit deny that does not say where (older form)',
    message:
      'User: arn:aws:iam::123456789012:user/jenkins is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::my-prod-bucket/config.json with an explicit deny',
    expected: { deniedBy: 'unknown', denial: 'explicit' },
  },
  {
    name: 'SCP wording with "due to" and capitals',
    message:
      'User: arn:aws:sts::123456789012:assumed-role/fixture/session is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-1::foundation-model/fixture due to an explicit deny in a Service Control Policy',
    expected: { deniedBy: 'scp', denial: 'explicit' },
  },
];

describe('parseAccessDenied', () => {
  it.each(CASES)('reads $name', ({ message, expected }) => {
    expect(parseAccessDenied(message)).toMatchObject({ recognized: true, ...expected });
  });

  it('has at least 15 documented forms', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(15);
  });

  it('reads the longest message accepted, without spaces, as not naming anyone', () => {
    expect(parseAccessDenied('arn:'.repeat(16_384))).toMatchObject({ recognized: false });
    const padded = `${'x'.repeat(60_000)} ${CASES[0]?.message ?? ''}`;
    expect(parseAccessDenied(padded)).toMatchObject({ action: 'codecommit:ListRepositories' });
  });

  it('does not recognise text that is not an AWS authorization error', () => {
    expect(parseAccessDenied('the build failed because the disk is full')).toMatchObject({
      recognized: false,
      deniedBy: 'unknown',
    });
  });
});

describe('answerAccessDenied', () => {
  it('prefills an inline policy granting exactly the action on the resource to the role of a session', async () => {
    const answer = await answerAccessDenied(CASES[13]?.message ?? '');
    expect(answer).toMatchObject({
      canRequest: true,
      grantee: 'arn:aws:iam::123456789012:role/app-role',
      deniedBy: 'no_identity_policy',
    });
    expect(answer.request?.changes.changes).toEqual([
      {
        change_type: 'inline_policy',
        action: 'attach',
        new: true,
        principal: {
          principal_type: 'AwsResource',
          principal_arn: 'arn:aws:iam::123456789012:role/app-role',
        },
        policy: {
          policy_document: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Action: ['dynamodb:PutItem'],
                Resource: ['arn:aws:dynamodb:us-east-1:123456789012:table/Orders'],
              },
            ],
          },
        },
      },
    ]);
  });

  it('grants on * when the message names no resource', async () => {
    const answer = await answerAccessDenied(CASES[0]?.message ?? '');
    const statement = (answer.request?.changes.changes[0] as { policy?: { policy_document: unknown } }).policy
      ?.policy_document;
    expect(statement).toMatchObject({
      Statement: [{ Action: ['codecommit:ListRepositories'], Resource: ['*'] }],
    });
  });

  it.each([
    ['an SCP', 1, 'service control policy'],
    ['an identity Deny', 7, 'Deny overrides'],
    ['a resource Deny', 5, 'Deny overrides'],
    ['a permissions boundary', 3, 'boundary'],
    ['an unplaced explicit Deny', 19, 'explicit Deny'],
  ])('refuses to prefill a request when %s denied it, saying why', async (_label, index, why) => {
    const answer = await answerAccessDenied(CASES[index]?.message ?? '');
    expect(answer.canRequest).toBe(false);
    expect(answer.request).toBeUndefined();
    expect(answer.explanation).toContain(why);
  });

  it('refuses a KMS key-policy denial: Rolecall does not edit key policies', async () => {
    const answer = await answerAccessDenied(CASES[6]?.message ?? '');
    expect(answer).toMatchObject({ canRequest: false, deniedBy: 'resource_policy' });
    expect(answer.explanation).toContain('kms resource policies are not edited by Rolecall');
  });

  it('prefills a cross-account AssumeRole, whose trust policy change Rolecall generates', async () => {
    const answer = await answerAccessDenied(CASES[11]?.message ?? '');
    expect(answer).toMatchObject({ canRequest: true, grantee: 'arn:aws:iam::123456789012:user/alice' });
  });

  it('explains an encoded EC2 message and a bare Access Denied instead of guessing', async () => {
    const ec2 = await answerAccessDenied(CASES[15]?.message ?? '');
    expect(ec2).toMatchObject({ recognized: true, canRequest: false });
    expect(ec2.explanation).toContain('decode-authorization-message');
    const s3 = await answerAccessDenied(CASES[17]?.message ?? '');
    expect(s3).toMatchObject({ recognized: true, canRequest: false });
    expect(s3.explanation).toContain('CloudTrail');
  });

  it('answers text that is not an AWS error with an example of what to paste', async () => {
    const answer = await answerAccessDenied('hello');
    expect(answer).toMatchObject({ recognized: false, canRequest: false, deniedBy: 'unknown' });
    expect(answer.explanation).toContain('is not authorized to perform');
  });
});
