import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { awsClientConfig, type AwsClientOptions } from './client-config.js';
import { translateAwsError } from './translate-aws-error.js';

export interface AssumeRoleOptions {
  roleArn: string;
  sessionName: string;
  externalId?: string | undefined;
  sourceIdentity?: string;
  durationSeconds?: number;
  policy?: string;
}

/** The STS AssumeRole parameters of these options, for the provider below and for a single call alike. */
export const assumeRoleParams = (options: AssumeRoleOptions) => ({
  RoleArn: options.roleArn,
  RoleSessionName: options.sessionName,
  ExternalId: options.externalId,
  SourceIdentity: options.sourceIdentity,
  DurationSeconds: options.durationSeconds,
  Policy: options.policy,
});

/** A session is renewed this long before it expires, so no request signs with one about to lapse. */
const REFRESH_BEFORE_EXPIRY_MS = 5 * 60_000;

/**
 * Credentials of `roleArn`, assumed by the SDK's `fromTemporaryCredentials` with `aws.credentials` (the
 * default chain when unset) through the STS endpoint `aws` names (`endpointUrl`, so moto works), and
 * cached until five minutes before they expire. A failure is an AppError (ACCESS_DENIED, throttling…).
 * Chain them for hub → spoke: the spoke's `aws.credentials` is the hub's provider.
 */
export function createAssumedRoleCredentials(
  options: AssumeRoleOptions & { aws: AwsClientOptions },
): AwsCredentialIdentityProvider {
  const { credentials, ...clientConfig } = awsClientConfig('sts', options.aws);
  const assume = fromTemporaryCredentials({
    params: assumeRoleParams(options),
    masterCredentials: credentials,
    clientConfig,
  });
  return cacheUntilExpiry(async () => {
    try {
      return await assume();
    } catch (error) {
      throw translateAwsError(error, { roleArn: options.roleArn, operation: 'AssumeRole' });
    }
  });
}

/**
 * One session shared by every caller until it nears expiry; concurrent callers wait for the same
 * request. Ours because fromTemporaryCredentials caches nothing (each SDK client memoizes on its own,
 * with a helper @smithy/core marks internal), and one spoke provider serves many clients.
 */
export function cacheUntilExpiry(fetch: () => Promise<AwsCredentialIdentity>): AwsCredentialIdentityProvider {
  let cached: AwsCredentialIdentity | undefined;
  let pending: Promise<AwsCredentialIdentity> | undefined;
  return async () => {
    if (cached?.expiration && cached.expiration.getTime() - Date.now() > REFRESH_BEFORE_EXPIRY_MS) {
      return cached;
    }
    pending ??= fetch()
      .then((credentials) => {
        cached = credentials;
        return credentials;
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };
}

/** Where Rolecall's AWS calls start, and the role it assumes in each account (config `aws.*`). */
export interface HubAndSpokeOptions {
  aws: AwsClientOptions;
  hubRoleArn?: string | undefined;
  spokeRoleName: string;
  spokeExternalId?: string | undefined;
  sessionName: string;
}

/** The hub's client options, and a spoke account's role with a new provider for it. */
export interface HubAndSpoke {
  hub: AwsClientOptions;
  spokeRoleArn: (accountId: string) => string;
  /** Credentials for the account's spoke role, assumed with the hub's; callers keep one per account. */
  spokeCredentials: (accountId: string) => AwsCredentialIdentityProvider;
}

/**
 * Hub and spoke, one way for every service: the hub's credentials are the process's default chain, or
 * `hubRoleArn` assumed with it; each account's spoke role is assumed with the hub's (chained providers,
 * each cached until shortly before it expires).
 */
export function createHubAndSpoke(options: HubAndSpokeOptions): HubAndSpoke {
  const hubCredentials = options.hubRoleArn
    ? createAssumedRoleCredentials({
        aws: options.aws,
        roleArn: options.hubRoleArn,
        sessionName: options.sessionName,
      })
    : options.aws.credentials;
  const hub: AwsClientOptions = { ...options.aws, credentials: hubCredentials };
  const spokeRoleArn = (accountId: string) => `arn:aws:iam::${accountId}:role/${options.spokeRoleName}`;
  return {
    hub,
    spokeRoleArn,
    spokeCredentials: (accountId) =>
      createAssumedRoleCredentials({
        aws: hub,
        roleArn: spokeRoleArn(accountId),
        sessionName: options.sessionName,
        externalId: options.spokeExternalId,
      }),
  };
}
