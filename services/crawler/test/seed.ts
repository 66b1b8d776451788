import { ConfigServiceClient, PutConfigurationRecorderCommand } from '@aws-sdk/client-config-service';
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  IAMClient,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import {
  CreateAccountCommand,
  CreateOrganizationCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import {
  CreateBucketCommand,
  PutBucketPolicyCommand,
  PutBucketTaggingCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { CreateTopicCommand, SetTopicAttributesCommand, SNSClient } from '@aws-sdk/client-sns';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { assumeRole, awsClientConfig, STSClient, type AwsClientOptions } from '@rolecall/shared/aws';
import { MOTO_CREDENTIALS } from '@rolecall/testing';

export const SPOKE = 'RolecallSpoke';
export const TRUST = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'sts:AssumeRole' },
  ],
};

export const hubOptions = (endpointUrl: string): AwsClientOptions => ({
  region: 'us-east-1',
  endpointUrl,
  credentials: MOTO_CREDENTIALS,
  maxAttempts: 2,
});

/** Client options acting in `accountId` (moto: credentials from AssumeRole act in the role's account). */
export async function inAccount(endpointUrl: string, accountId: string): Promise<AwsClientOptions> {
  const sts = new STSClient(awsClientConfig('sts', hubOptions(endpointUrl)));
  const credentials = await assumeRole(sts, {
    roleArn: `arn:aws:iam::${accountId}:role/seeder`,
    sessionName: 'seed',
  });
  return { ...hubOptions(endpointUrl), credentials };
}

/** An organization whose management account is moto's default, with three named member accounts. */
export async function seedOrganization(
  endpointUrl: string,
): Promise<Record<'dev' | 'prod' | 'sandbox', string>> {
  const org = new OrganizationsClient(awsClientConfig('organizations', hubOptions(endpointUrl)));
  await org.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
  const ids = { dev: '', prod: '', sandbox: '' };
  for (const name of ['dev', 'prod', 'sandbox'] as const) {
    const created = await org.send(
      new CreateAccountCommand({ AccountName: name, Email: `${name}@example.com` }),
    );
    ids[name] = created.CreateAccountStatus!.AccountId!;
  }
  return ids;
}

export async function createSpokeRole(options: AwsClientOptions): Promise<void> {
  const iam = new IAMClient(awsClientConfig('iam', options));
  await iam.send(new CreateRoleCommand({ RoleName: SPOKE, AssumeRolePolicyDocument: JSON.stringify(TRUST) }));
}

export const INLINE = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::data/*' }],
};

/** Roles with tags, an inline policy, a managed policy and a boundary; a bucket, a queue and a topic. */
export async function seedResources(
  options: AwsClientOptions,
  accountId: string,
  prefix: string,
  roleCount: number,
) {
  const iam = new IAMClient(awsClientConfig('iam', options));
  const policy = await iam.send(
    new CreatePolicyCommand({ PolicyName: `${prefix}-managed`, PolicyDocument: JSON.stringify(INLINE) }),
  );
  const policyArn = policy.Policy!.Arn!;
  for (let i = 0; i < roleCount; i += 1) {
    const roleName = `${prefix}-role-${i}`;
    await iam.send(
      new CreateRoleCommand({
        RoleName: roleName,
        AssumeRolePolicyDocument: JSON.stringify(TRUST),
        Tags: [
          { Key: 'consoleme-authorized', Value: `user${i}@example.com` },
          { Key: 'team', Value: prefix },
        ],
        ...(i === 0 ? { PermissionsBoundary: policyArn } : {}),
      }),
    );
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: roleName,
        PolicyName: 'inline',
        PolicyDocument: JSON.stringify(INLINE),
      }),
    );
    await iam.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: policyArn }));
  }

  const resourcePolicy = (arn: string, action: string) => ({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${accountId}:root` },
        Action: action,
        Resource: arn,
      },
    ],
  });
  const s3 = new S3Client(awsClientConfig('s3', options));
  const bucket = `${prefix}-bucket-${accountId}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(
    new PutBucketPolicyCommand({
      Bucket: bucket,
      Policy: JSON.stringify(resourcePolicy(`arn:aws:s3:::${bucket}/*`, 's3:GetObject')),
    }),
  );
  await s3.send(
    new PutBucketTaggingCommand({ Bucket: bucket, Tagging: { TagSet: [{ Key: 'team', Value: prefix }] } }),
  );

  const sqs = new SQSClient(awsClientConfig('sqs', options));
  const queueArn = `arn:aws:sqs:us-east-1:${accountId}:${prefix}-queue`;
  await sqs.send(
    new CreateQueueCommand({
      QueueName: `${prefix}-queue`,
      Attributes: { Policy: JSON.stringify(resourcePolicy(queueArn, 'sqs:SendMessage')) },
      tags: { team: prefix },
    }),
  );

  const sns = new SNSClient(awsClientConfig('sns', options));
  const topic = await sns.send(
    new CreateTopicCommand({ Name: `${prefix}-topic`, Tags: [{ Key: 'team', Value: prefix }] }),
  );
  await sns.send(
    new SetTopicAttributesCommand({
      TopicArn: topic.TopicArn!,
      AttributeName: 'Policy',
      AttributeValue: JSON.stringify(resourcePolicy(topic.TopicArn!, 'sns:Publish')),
    }),
  );
  return { bucket, queueArn, topicArn: topic.TopicArn!, policyArn };
}

/** Turns AWS Config on in one account and region (moto then answers ListDiscoveredResources there). */
export async function startConfigRecorder(options: AwsClientOptions, accountId: string): Promise<void> {
  const config = new ConfigServiceClient(awsClientConfig('config', options));
  await config.send(
    new PutConfigurationRecorderCommand({
      ConfigurationRecorder: {
        name: 'default',
        roleARN: `arn:aws:iam::${accountId}:role/config`,
        recordingGroup: { allSupported: false, resourceTypes: ['AWS::SNS::Topic', 'AWS::S3::Bucket'] },
      },
    }),
  );
}
