import { STSClient } from '@aws-sdk/client-sts';
import { awsClientConfig, createAssumedRoleCredentials, type AwsClientOptions } from '@rolecall/shared/aws';

/**
 * The STS client that assumes users' roles: as the hub role when one is configured (assumed with the
 * credentials `aws` names, the default chain when unset, and renewed before it expires), else as the
 * process itself. The broker's main.ts and the tests that run the broker wire it the same way.
 */
export function createHubStsClient(options: {
  aws: AwsClientOptions;
  hubRoleArn?: string | undefined;
}): STSClient {
  const { aws, hubRoleArn } = options;
  if (!hubRoleArn) return new STSClient(awsClientConfig('sts', aws));
  const credentials = createAssumedRoleCredentials({
    roleArn: hubRoleArn,
    sessionName: 'rolecall-broker',
    aws,
  });
  return new STSClient(awsClientConfig('sts', { ...aws, credentials }));
}
