import type { IssueCredentialsReply, IssueCredentialsRequest } from '@rolecall/shared/contracts';
import { isAppError } from '@rolecall/shared/errors';
import type { Logger } from '@rolecall/shared/log';
import { assumeForUser } from '../domain/assume-for-user.js';
import { ipRestrictionPolicy, ipRestrictionsFor } from '../domain/ip-policy.js';
import type { AuthorizationMapping, CredentialIssuer } from '../domain/ports.js';
import { resolveRole } from '../domain/resolve-role.js';
import type { RecordAudit } from './audit-recorder.js';

export interface IssueCredentialsSettings {
  sessionDurationSeconds: number;
  ipRestrictions: readonly string[];
  lowercaseIdentities: boolean;
}

/** `broker.credentials.issue`: CLI (or console-only) credentials for one of the caller's roles. */
export function createIssueCredentialsHandler(options: {
  mapping: AuthorizationMapping;
  issuer: CredentialIssuer;
  recordAudit: RecordAudit;
  settings: IssueCredentialsSettings;
  log: Logger;
}) {
  const { mapping, issuer, recordAudit, settings, log } = options;
  return async (request: IssueCredentialsRequest): Promise<IssueCredentialsReply> => {
    const resolution = await resolveRole({
      mapping,
      settings,
      caller: request.caller,
      query: request.requestedRole,
      channel: request.channel,
    });
    if (resolution.outcome === 'refused') {
      recordAudit(request, { outcome: 'refused', reason: resolution.reason });
      return resolution;
    }
    const { role } = resolution;
    // Console sessions are never IP-restricted (the browser's address is not the CLI's), as in ConsoleMe.
    const cidrs =
      request.channel === 'console'
        ? []
        : ipRestrictionsFor({
            noIpRestrictions: request.noIpRestrictions,
            customIpRestrictions: request.customIpRestrictions,
            configured: settings.ipRestrictions,
          });
    let issued: Awaited<ReturnType<typeof assumeForUser>>;
    try {
      issued = await assumeForUser({
        issuer,
        role,
        user: request.caller.user,
        durationSeconds: settings.sessionDurationSeconds,
        policy: cidrs.length > 0 ? ipRestrictionPolicy(cidrs) : undefined,
      });
    } catch (error) {
      recordAudit(request, {
        outcome: 'failed',
        roleArn: role.arn,
        reason: isAppError(error) ? `${error.code}: ${error.message}` : String(error),
      });
      throw error;
    }
    const { credentials, durationSeconds } = issued;
    recordAudit(request, {
      outcome: 'issued',
      roleArn: role.arn,
      durationSeconds,
      accessKeyId: credentials.accessKeyId,
    });
    log.info(
      {
        user: request.caller.user,
        roleArn: role.arn,
        channel: request.channel,
        accessKeyId: credentials.accessKeyId,
      },
      'credentials issued',
    );
    return {
      outcome: 'issued',
      roleArn: role.arn,
      accountId: role.accountId,
      credentials: {
        accessKeyId: credentials.accessKeyId,
        secretAccessKey: credentials.secretAccessKey,
        sessionToken: credentials.sessionToken,
        expiration: Math.floor(credentials.expiration.getTime() / 1000),
      },
    };
  };
}
