import { AppError, isAppError } from '@rolecall/shared/errors';
import type { SessionCredentials } from './console-url.js';
import type { AssumeRoleRequest, CredentialIssuer } from './ports.js';
import type { KnownRole } from './roles.js';
import { toStsName } from './session-name.js';

/** STS's default, and what a role allows when nobody raised its maximum. */
export const FALLBACK_DURATION_SECONDS = 3600;

/** The configured duration, never above the role's maximum when the cache knows it. */
export const durationFor = (role: KnownRole, configured: number): number =>
  role.maxSessionDuration !== undefined ? Math.min(configured, role.maxSessionDuration) : configured;

/**
 * Assumes the role as the user: session name and SourceIdentity are the user (made valid for STS).
 * When the role's maximum was unknown and AWS says the duration is too long, retries once with one
 * hour. Any failure is UPSTREAM_FAILED.
 */
export async function assumeForUser(options: {
  issuer: CredentialIssuer;
  role: KnownRole;
  user: string;
  durationSeconds: number;
  policy?: string | undefined;
}): Promise<{ credentials: SessionCredentials; durationSeconds: number }> {
  const name = toStsName(options.user);
  const request: AssumeRoleRequest = {
    roleArn: options.role.arn,
    sessionName: name,
    sourceIdentity: name,
    durationSeconds: durationFor(options.role, options.durationSeconds),
    ...(options.policy ? { policy: options.policy } : {}),
  };
  try {
    return {
      credentials: await options.issuer.assumeRole(request),
      durationSeconds: request.durationSeconds,
    };
  } catch (error) {
    const tooLong =
      isAppError(error) &&
      error.context.reason === 'duration_exceeds_maximum' &&
      request.durationSeconds > FALLBACK_DURATION_SECONDS;
    if (tooLong) {
      const retry = { ...request, durationSeconds: FALLBACK_DURATION_SECONDS };
      try {
        return {
          credentials: await options.issuer.assumeRole(retry),
          durationSeconds: retry.durationSeconds,
        };
      } catch (retryError) {
        throw asUpstreamFailure(retryError, request.roleArn);
      }
    }
    throw asUpstreamFailure(error, request.roleArn);
  }
}

function asUpstreamFailure(error: unknown, roleArn: string): AppError {
  if (isAppError(error) && error.code === 'UPSTREAM_FAILED') return error;
  const message = error instanceof Error ? error.message : String(error);
  return new AppError('UPSTREAM_FAILED', `could not get credentials for ${roleArn}: ${message}`, {
    cause: error,
    context: {
      roleArn,
      ...(isAppError(error) ? { awsError: error.context.awsError, code: error.code } : {}),
    },
  });
}
