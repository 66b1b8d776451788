import type {
  Channel,
  IssueCredentialsReply,
  IssueCredentialsRequest,
  Refusal,
} from '@rolecall/shared/contracts';
import { isAppError } from '@rolecall/shared/errors';
import type { Logger } from '@rolecall/shared/log';
import { assumeForUser } from '../domain/assume-for-user.js';
import { callerIdentities, normalizeIdentity } from '../domain/authorization.js';
import {
  asksForIpExemption,
  ipRestrictionPolicy,
  ipRestrictionsFor,
  mayChooseIpRestrictions,
} from '../domain/ip-policy.js';
import type { AuthorizationMapping, CredentialIssuer, IssuanceReader } from '../domain/ports.js';
import { resolveRole } from '../domain/resolve-role.js';
import type { AuditRecorder } from './audit-recorder.js';

export interface IssueCredentialsSettings {
  sessionDurationSeconds: number;
  ipRestrictions: readonly string[];
  /** Users and groups who may send no_ip_restrictions or custom_ip_restrictions. */
  ipRestrictionExemptGroups: readonly string[];
  lowercaseIdentities: boolean;
}

/** The reason an error gives in the audit trail: its code and message, never a secret (AppErrors hold none). */
export const auditReasonOf = (error: unknown) =>
  isAppError(error) ? `${error.code}: ${error.message}` : String(error);

/**
 * `broker.credentials.issue`: CLI (or console-only) credentials for one of the caller's roles. The audit
 * intent is durable before STS is called (AUDIT_UNAVAILABLE, and nothing issued, when it cannot be), and
 * completed with the access key id before the reply. A request with `rateLimitPerMinute` is charged to the
 * caller's rate limit (RATE_LIMITED when over it) in the same Redis round trip that reads their roles: one
 * round trip in all for a request naming an ARN.
 */
export function createIssueCredentialsHandler(options: {
  mapping: AuthorizationMapping;
  reads: IssuanceReader;
  issuer: CredentialIssuer;
  audit: AuditRecorder;
  settings: IssueCredentialsSettings;
  log: Logger;
}) {
  const { mapping, reads, issuer, audit, settings, log } = options;
  const exempt = settings.ipRestrictionExemptGroups.map((g) => normalizeIdentity(g, settings));
  const read =
    (request: IssueCredentialsRequest) => (identities: string[], channel: Channel, arns: string[]) =>
      reads.readForIssuance({
        user: request.caller.user,
        identities,
        channel,
        arns,
        ratePerMinute: request.rateLimitPerMinute,
      });
  return async (request: IssueCredentialsRequest): Promise<IssueCredentialsReply> => {
    const identities = callerIdentities(request.caller, settings);
    if (asksForIpExemption(request) && !mayChooseIpRestrictions(identities, exempt)) {
      // Charged like any request (RATE_LIMITED first), so refusals cannot flood the audit trail.
      await read(request)(identities, request.channel, []);
      const refusal: Refusal = {
        outcome: 'refused',
        reason: 'ip_exemption_not_allowed',
        message:
          'you may not lift or replace the IP restriction of your credentials (no_ip_restrictions, custom_ip_restrictions); ask again without them',
        matches: [],
      };
      await audit.refuse(request, refusal.reason);
      return refusal;
    }
    const resolution = await resolveRole({
      mapping,
      settings,
      caller: request.caller,
      query: request.requestedRole,
      channel: request.channel,
      read: read(request),
    });
    if (resolution.outcome === 'refused') {
      await audit.refuse(request, resolution.reason);
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
    const intent = await audit.begin(request, role.arn);
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
      await audit.complete(intent, { outcome: 'failed', reason: auditReasonOf(error) });
      throw error;
    }
    const { credentials, durationSeconds } = issued;
    await audit.complete(intent, {
      outcome: 'issued',
      durationSeconds,
      accessKeyId: credentials.accessKeyId,
    });
    log.info(
      {
        user: request.caller.user,
        roleArn: role.arn,
        channel: request.channel,
        accessKeyId: credentials.accessKeyId,
        auditId: intent.id,
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
