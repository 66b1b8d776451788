import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IAMClient } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import { assumeRole, awsClientConfig } from '@rolecall/shared/aws';
import { MOTO_CREDENTIALS } from '@rolecall/testing';

/**
 * An IAM client acting inside `accountId` of moto. moto lets any role ARN be assumed and the credentials
 * act in that account, which is how tests change an account behind Rolecall's back.
 */
export async function iamIn(endpointUrl: string, accountId: string): Promise<IAMClient> {
  const sts = new STSClient(
    awsClientConfig('sts', { region: 'us-east-1', endpointUrl, credentials: MOTO_CREDENTIALS }),
  );
  const credentials = await assumeRole(sts, {
    roleArn: `arn:aws:iam::${accountId}:role/RolecallTestSetup`,
    sessionName: 'test-setup',
  });
  return new IAMClient(awsClientConfig('iam', { region: 'us-east-1', endpointUrl, credentials }));
}

/**
 * `present` when the call succeeds, else the AWS error's code (`NoSuchEntity`: the SDK's name without its
 * `Exception` suffix), for checking that something is gone.
 */
export const absent = (call: Promise<unknown>): Promise<string | undefined> =>
  call.then(
    () => 'present',
    (error: { name?: string }) => error.name?.replace(/Exception$/, ''),
  );

/** A DynamoDB client on the stack's moto, as the services' own clients are configured. */
export function motoDynamo(endpointUrl: string): DynamoDBClient {
  return new DynamoDBClient(
    awsClientConfig('dynamodb', { region: 'us-east-1', endpointUrl, credentials: MOTO_CREDENTIALS }),
  );
}
