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
