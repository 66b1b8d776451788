import type { ConsoleLoginReply, ConsoleLoginRequest } from '@rolecall/shared/contracts';
import { AppError, isAppError } from '@rolecall/shared/errors';
import type { Logger } from '@rolecall/shared/log';
import { assumeForUser } from '../domain/assume-for-user.js';
import { consoleDestination, consoleLoginUrl } from '../domain/console-url.js';
import type { AuthorizationMapping, CredentialIssuer, SigninTokenSource } from '../domain/ports.js';
import { resolveRole } from '../domain/resolve-role.js';
import type { AuditRecorder } from './audit-recorder.js';
import { auditReasonOf } from './issue-credentials.js';

export interface ConsoleLoginSettings {
  sessionDurationSeconds: number;
  lowercaseIdentities: boolean;
  federationUrl: string;
  consoleUrl: string;
  issuer: string;
  defaultRegion: string;
  /** Hosts a redirect may land on (`broker.consoleRedirectHosts`). */
  consoleRedirectHosts: readonly string[];
}

/**
 * `broker.console.login`: a federation sign-in URL for one of the caller's console roles. Audited as
 * credential issuance is: the intent is durable before STS is called.
 */
export function createConsoleLoginHandler(options: {
  mapping: AuthorizationMapping;
  issuer: CredentialIssuer;
  signin: SigninTokenSource;
  audit: AuditRecorder;
  settings: ConsoleLoginSettings;
  log: Logger;
}) {
  const { mapping, issuer, signin, audit, settings, log } = options;
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
      allowedRedirectHosts: settings.consoleRedirectHosts,
    });
    const resolution = await resolveRole({
      mapping,
      settings,
      caller: request.caller,
      query: request.roleQuery,
      channel: 'console',
    });
    if (resolution.outcome === 'refused') {
      await audit.refuse(audited, resolution.reason);
      return resolution;
    }
    const { role } = resolution;
    const intent = await audit.begin(audited, role.arn);
    // Set once credentials exist, so that a failure after it (the federation call) is recorded with the key id.
    let accessKeyId: string | undefined;
    try {
      const { credentials, durationSeconds } = await assumeForUser({
        issuer,
        role,
        user: request.caller.user,
        durationSeconds: settings.sessionDurationSeconds,
      });
      accessKeyId = credentials.accessKeyId;
      const signinToken = await signin.getSigninToken(credentials);
      const url = consoleLoginUrl({
        federationUrl: settings.federationUrl,
        issuer: settings.issuer,
        destination,
        signinToken,
      });
      await audit.complete(intent, { outcome: 'issued', accessKeyId, durationSeconds });
      log.info(
        { user: request.caller.user, roleArn: role.arn, accessKeyId, auditId: intent.id },
        'console sign-in',
      );
      return {
        outcome: 'signed_in',
        roleArn: role.arn,
        url,
        expiresAt: Math.floor(credentials.expiration.getTime() / 1000),
      };
    } catch (error) {
      await audit.complete(intent, {
        outcome: 'failed',
        reason: auditReasonOf(error),
        ...(accessKeyId === undefined ? {} : { accessKeyId }),
      });
      throw isAppError(error)
        ? error
        : new AppError('UPSTREAM_FAILED', `console sign-in for ${role.arn} failed`, { cause: error });
    }
  };
}
