import {
  AssumeRoleCommand,
  GetCallerIdentityCommand,
  STSClient,
  type Credentials,
} from '@aws-sdk/client-sts';
import { AppError } from '../errors/index.js';
import { assumeRoleParams, type AssumeRoleOptions } from './assumed-role-credentials.js';
import { translateAwsError } from './translate-aws-error.js';

/** A session AssumeRole handed out: all four parts, as STS always sends them. */
export interface AssumedSession {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

/** AssumeRole's PascalCase credentials → ours; UPSTREAM_FAILED when a part is missing. */
export function assumedSession(credentials: Credentials | undefined, roleArn: string): AssumedSession {
  const c = credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
    throw new AppError('UPSTREAM_FAILED', `AssumeRole on ${roleArn} returned no credentials`);
  }
  return {
    accessKeyId: c.AccessKeyId,
    secretAccessKey: c.SecretAccessKey,
    sessionToken: c.SessionToken,
    expiration: c.Expiration,
  };
}

/** One AssumeRole call, for credentials handed on as they are (seeding, tests); not a provider. */
export async function assumeRole(sts: STSClient, options: AssumeRoleOptions): Promise<AssumedSession> {
  try {
    const result = await sts.send(new AssumeRoleCommand(assumeRoleParams(options)));
    return assumedSession(result.Credentials, options.roleArn);
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
export {
  createAssumedRoleCredentials,
  createHubAndSpoke,
  type AssumeRoleOptions,
  type HubAndSpoke,
  type HubAndSpokeOptions,
} from './assumed-role-credentials.js';
export * from './storage.js';
export * from './item-rows.js';
export * from './dynamo-pages.js';
