import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { AppError, isAppError } from '@rolecall/shared/errors';
import {
  awsClientConfig,
  createAssumedRoleCredentials,
  createHubAndSpoke,
  isAwsErrorNamed,
  translateAwsError,
  type AwsClientOptions,
  type HubAndSpokeOptions,
} from '@rolecall/shared/aws';

type CredentialProvider = ReturnType<typeof createAssumedRoleCredentials>;

export interface SpokeAccess {
  /** Client options for the hub itself (account discovery). */
  readonly hub: AwsClientOptions;
  /**
   * Client options acting in `accountId` through its spoke role, after confirming the role exists.
   * Throws SPOKE_ROLE_UNAVAILABLE or ACCESS_DENIED for that account only.
   */
  open(accountId: string): Promise<AwsClientOptions>;
  /** Credentials for any role ARN assumed from the hub (the Organizations reader role). */
  assume(roleArn: string): CredentialProvider;
}

/**
 * Hub credentials are the process's default chain, or `hubRoleArn` assumed with it; spoke roles are
 * assumed with the hub's (the SDK's fromTemporaryCredentials, chained). Each spoke account gets one
 * cached provider, so a crawl of five types in one account assumes its role once per session.
 */
export function createSpokeAccess(options: HubAndSpokeOptions): SpokeAccess {
  const { hub, spokeRoleArn, spokeCredentials } = createHubAndSpoke(options);
  const providers = new Map<string, CredentialProvider>();

  const spokeProvider = (accountId: string) => {
    let provider = providers.get(accountId);
    if (!provider) {
      provider = spokeCredentials(accountId);
      providers.set(accountId, provider);
    }
    return provider;
  };

  return {
    hub,
    assume: (roleArn) =>
      createAssumedRoleCredentials({ aws: hub, roleArn, sessionName: options.sessionName }),
    async open(accountId) {
      const roleArn = spokeRoleArn(accountId);
      const provider = spokeProvider(accountId);
      try {
        await provider();
      } catch (error) {
        const appError = isAppError(error) ? error : translateAwsError(error, { operation: 'AssumeRole' });
        if (appError.retryable) throw appError;
        throw new AppError(
          'SPOKE_ROLE_UNAVAILABLE',
          `cannot assume the spoke role ${roleArn}: ${appError.message}`,
          { cause: error, context: { accountId, roleArn } },
        );
      }
      const spoke: AwsClientOptions = { ...options.aws, credentials: provider };
      // AssumeRole alone proves little (moto grants it for a role that does not exist); GetRole on the
      // spoke role with its own credentials does, for one cheap call.
      const iam = new IAMClient(awsClientConfig('iam', spoke));
      try {
        await iam.send(new GetRoleCommand({ RoleName: options.spokeRoleName }));
      } catch (error) {
        if (isAwsErrorNamed(error, 'NoSuchEntity', 'NoSuchEntityException')) {
          throw new AppError('SPOKE_ROLE_UNAVAILABLE', `the spoke role ${roleArn} does not exist`, {
            cause: error,
            context: { accountId, roleArn },
          });
        }
        const appError = translateAwsError(error, { operation: 'GetRole', accountId, roleArn });
        if (appError.code === 'ACCESS_DENIED') {
          throw new AppError(
            'ACCESS_DENIED',
            `the spoke role ${roleArn} may not call iam:GetRole on itself; grant it (see deploy/)`,
            { cause: error, context: { accountId, roleArn } },
          );
        }
        throw appError;
      } finally {
        iam.destroy();
      }
      return spoke;
    },
  };
}
