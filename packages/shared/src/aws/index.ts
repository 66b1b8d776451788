import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { AppError, type ErrorCode } from '../errors/index.js';

export interface AwsClientOptions {
  region: string;
  /** Every client goes here when set (moto, LocalStack, a VPC endpoint). */
  endpointUrl?: string | undefined;
  /** Per-service overrides, keyed by SDK service id lower-cased (`sts`, `s3`, `dynamodb`…). */
  serviceEndpoints?: Record<string, string>;
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider | undefined;
  maxAttempts?: number;
}

/**
 * The config object every SDK client is built from. Retries (standard mode, exponential backoff with
 * jitter) cover throttling and transient errors; S3 uses path-style addressing whenever an endpoint is
 * set, because a local endpoint has no per-bucket DNS names.
 */
export function awsClientConfig(service: string, options: AwsClientOptions) {
  const endpoint = options.serviceEndpoints?.[service] ?? options.endpointUrl;
  return {
    region: options.region,
    maxAttempts: options.maxAttempts ?? 6,
    retryMode: 'standard' as const,
    ...(endpoint ? { endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    ...(service === 's3' && endpoint ? { forcePathStyle: true } : {}),
  };
}

export interface AssumeRoleOptions {
  roleArn: string;
  sessionName: string;
  externalId?: string | undefined;
  sourceIdentity?: string;
  durationSeconds?: number;
  policy?: string;
}

/**
 * A credential provider that assumes a role and caches the session until five minutes before it
 * expires. Used for hub → spoke access; one provider per target account.
 */
export function assumeRoleProvider(
  sts: STSClient,
  options: AssumeRoleOptions,
): AwsCredentialIdentityProvider {
  let cached: AwsCredentialIdentity | undefined;
  let pending: Promise<AwsCredentialIdentity> | undefined;
  return async () => {
    if (cached?.expiration && cached.expiration.getTime() - Date.now() > 5 * 60_000) return cached;
    pending ??= assumeRole(sts, options)
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

export async function assumeRole(sts: STSClient, options: AssumeRoleOptions): Promise<AwsCredentialIdentity> {
  try {
    const result = await sts.send(
      new AssumeRoleCommand({
        RoleArn: options.roleArn,
        RoleSessionName: options.sessionName,
        ExternalId: options.externalId,
        SourceIdentity: options.sourceIdentity,
        DurationSeconds: options.durationSeconds,
        Policy: options.policy,
      }),
    );
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

const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'SlowDown',
]);
const ACCESS_DENIED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'AuthorizationError',
]);

/** AWS SDK exception → AppError, keeping the AWS error name in the context. */
export function translateAwsError(error: unknown, context: Record<string, unknown> = {}): AppError {
  if (error instanceof AppError) return error;
  const name = (error as { name?: string })?.name ?? 'Error';
  const message = (error as Error)?.message ?? String(error);
  const status = (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  let code: ErrorCode = 'UPSTREAM_FAILED';
  if (THROTTLING.has(name)) code = 'UPSTREAM_THROTTLED';
  else if (ACCESS_DENIED.has(name) || status === 403) code = 'ACCESS_DENIED';
  else if (name === 'TimeoutError') code = 'TIMEOUT';
  else if (/ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|socket hang up/i.test(message)) code = 'UPSTREAM_UNAVAILABLE';
  return new AppError(
    code,
    `${typeof context.operation === 'string' ? context.operation : 'AWS call'} failed: ${name}: ${message}`,
    {
      cause: error,
      context: { ...context, awsError: name, ...(status ? { httpStatus: status } : {}) },
    },
  );
}

export const isAwsErrorNamed = (error: unknown, ...names: string[]) =>
  names.includes((error as { name?: string })?.name ?? '');

export { STSClient };
export * from './storage.js';
export * from './item-rows.js';
export * from './dynamo-pages.js';
