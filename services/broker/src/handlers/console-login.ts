import type { ConsoleLoginReply, ConsoleLoginRequest } from '@rolecall/shared/contracts';
import { AppError, isAppError } from '@rolecall/shared/errors';
import type { Logger } from '@rolecall/shared/log';
import { assumeForUser } from '../domain/assume-for-user.js';
import { consoleDestination, consoleLoginUrl } from '../domain/console-url.js';
import type { AuthorizationMapping, CredentialIssuer, SigninTokenSource } from '../domain/ports.js';
import { resolveRole } from '../domain/resolve-role.js';
import type { RecordAudit } from './audit-recorder.js';

export interface ConsoleLoginSettings {
  sessionDurationSeconds: number;
  lowercaseIdentities: boolean;
  federationUrl: string;
  consoleUrl: string;
  issuer: string;
  defaultRegion: string;
}

/** `broker.console.login`: a federation sign-in URL for one of the caller's console roles. */
export function createConsoleLoginHandler(options: {
  mapping: AuthorizationMapping;
  issuer: CredentialIssuer;
  signin: SigninTokenSource;
  recordAudit: RecordAudit;
  settings: ConsoleLoginSettings;
  log: Logger;
}) {
  const { mapping, issuer, signin, recordAudit, settings, log } = options;
  return async (request: ConsoleLoginRequest): Promise<ConsoleLoginReply> => {
    const audited = {
      caller: request.caller,
      channel: 'console' as const,
      requestedRole: request.roleQuery,
      context: request.context,
    };
    // Validated before anything is issued: a bad redirect or region is the caller's mistake.
    const destination = consoleDestination({
      consoleUrl: settings.consoleUrl,
      region: request.region ?? settings.defaultRegion,
      redirect: request.redirect,
    });
    const resolution = await resolveRole({
      mapping,
      settings,
      caller: request.caller,
      query: request.roleQuery,
      channel: 'console',
    });
    if (resolution.outcome === 'refused') {
      recordAudit(audited, { outcome: 'refused', reason: resolution.reason });
      return resolution;
    }
    const { role } = resolution;
    let url: string;
    let expiresAt: number;
    let outcome: { accessKeyId: string; durationSeconds: number };
    try {
      const { credentials, durationSeconds } = await assumeForUser({
        issuer,
        role,
        user: request.caller.user,
        durationSeconds: settings.sessionDurationSeconds,
      });
      const signinToken = await signin.getSigninToken(credentials);
      url = consoleLoginUrl({
        federationUrl: settings.federationUrl,
        issuer: settings.issuer,
        destination,
        signinToken,
      });
      expiresAt = Math.floor(credentials.expiration.getTime() / 1000);
      outcome = { accessKeyId: credentials.accessKeyId, durationSeconds };
    } catch (error) {
      recordAudit(audited, {
        outcome: 'failed',
        roleArn: role.arn,
        reason: isAppError(error) ? `${error.code}: ${error.message}` : String(error),
      });
      throw isAppError(error)
        ? error
        : new AppError('UPSTREAM_FAILED', `console sign-in for ${role.arn} failed`, { cause: error });
    }
    recordAudit(audited, { outcome: 'issued', roleArn: role.arn, ...outcome });
    log.info(
      { user: request.caller.user, roleArn: role.arn, accessKeyId: outcome.accessKeyId },
      'console sign-in',
    );
    return { outcome: 'signed_in', roleArn: role.arn, url, expiresAt };
  };
}
