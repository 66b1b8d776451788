import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import { assumedSession, translateAwsError } from '@rolecall/shared/aws';
import { AppError } from '@rolecall/shared/errors';
import type { CredentialIssuer } from '../domain/ports.js';

/**
 * STS AssumeRole on the user's role with the client's (hub) credentials. AWS's PascalCase stays here;
 * the secret never reaches an error message or its context.
 */
export function createStsCredentialIssuer(options: { sts: STSClient }): CredentialIssuer {
  return {
    async assumeRole(request) {
      let result;
      try {
        result = await options.sts.send(
          new AssumeRoleCommand({
            RoleArn: request.roleArn,
            RoleSessionName: request.sessionName,
            SourceIdentity: request.sourceIdentity,
            DurationSeconds: request.durationSeconds,
            Policy: request.policy,
          }),
        );
      } catch (error) {
        const message = (error as Error)?.message ?? '';
        if (
          (error as { name?: string })?.name === 'ValidationError' &&
          /DurationSeconds|MaxSessionDuration|session duration/i.test(message)
        ) {
          throw new AppError('VALIDATION_FAILED', `AssumeRole refused the duration: ${message}`, {
            cause: error,
            context: { reason: 'duration_exceeds_maximum', roleArn: request.roleArn },
          });
        }
        const translated = translateAwsError(error, { operation: 'AssumeRole', roleArn: request.roleArn });
        throw new AppError('UPSTREAM_FAILED', translated.message, {
          cause: error,
          context: translated.context,
          retryable: translated.retryable,
        });
      }
      return assumedSession(result.Credentials, request.roleArn);
    },
  };
}
