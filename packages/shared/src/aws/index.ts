import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@smithy/types';
import { AppError } from '../errors/index.js';
import { assumeRoleParams, type AssumeRoleOptions } from './assumed-role-credentials.js';
import { translateAwsError } from './translate-aws-error.js';

/** One AssumeRole call, for credentials handed on as they are (seeding, tests); not a provider. */
export async function assumeRole(sts: STSClient, options: AssumeRoleOptions): Promise<AwsCredentialIdentity> {
  try {
    const result = await sts.send(new AssumeRoleCommand(assumeRoleParams(options)));
    const c = result.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey) {
      throw new AppError('UPSTREAM_FAILED', `AssumeRole on ${options.roleArn} returned no credentials`);
    }
    return {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      expiration: c.Expiration,
    };
  } catch (error) {
    throw translateAwsError(error, { roleArn: options.roleArn, operation: 'AssumeRole' });
  }
}

/** Who a set of credentials acts as (STS GetCallerIdentity). */
export interface CallerIdentity {
  arn: string;
  account: string;
  userId: string;
}

export async function getCallerIdentity(sts: STSClient): Promise<CallerIdentity> {
  try {
    const result = await sts.send(new GetCallerIdentityCommand({}));
    if (!result.Arn || !result.Account) {
      throw new AppError('UPSTREAM_FAILED', 'GetCallerIdentity returned no ARN or account');
    }
    return { arn: result.Arn, account: result.Account, userId: result.UserId ?? '' };
  } catch (error) {
    throw translateAwsError(error, { operation: 'GetCallerIdentity' });
  }
}

export { STSClient };
export * from './client-config.js';
export * from './translate-aws-error.js';
export * from './translate-page-errors.js';
export { createAssumedRoleCredentials, type AssumeRoleOptions } from './assumed-role-credentials.js';
export * from './storage.js';
export * from './item-rows.js';
export * from './dynamo-pages.js';
