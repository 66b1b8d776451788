import type { Channel, CredentialAuditEvent } from '@rolecall/shared/contracts';
import type { DynamicConfigDocument } from '@rolecall/shared/dynamic-config';
import { AppError } from '@rolecall/shared/errors';
import { buildMapping, eligibleFromGrants, type AuthorizationSettings } from '../src/domain/authorization.js';
import type { SessionCredentials } from '../src/domain/console-url.js';
import type {
  AssumeRoleRequest,
  AuditSink,
  AuthorizationMapping,
  CredentialIssuer,
  IssuanceReader,
  SigninTokenSource,
} from '../src/domain/ports.js';
import { toKnownRole, type KnownRole, type RoleFacts } from '../src/domain/roles.js';

/** The mapping port over the pure build, for unit tests of the handlers. */
export function createInMemoryMapping(
  roles: readonly RoleFacts[],
  config: DynamicConfigDocument,
  settings: AuthorizationSettings,
): AuthorizationMapping {
  const mapping = buildMapping(roles, config, settings);
  const known = new Map<string, KnownRole>(roles.map((r) => [r.arn.toLowerCase(), toKnownRole(r)]));
  return {
    eligible(identities: readonly string[], channel: Channel) {
      const entries = identities.map((i) => mapping.get(i)).filter((e) => e !== undefined);
      return Promise.resolve(
        eligibleFromGrants(
          entries.flatMap((e) => [...e.roles]),
          entries.flatMap((e) => [...e.cliOnlyRoles]),
          channel,
        ),
      );
    },
    describeRoles(arns: readonly string[]) {
      const result = new Map<string, KnownRole>();
      for (const arn of arns) {
        const role = known.get(arn.toLowerCase());
        if (role) result.set(arn.toLowerCase(), role);
      }
      return Promise.resolve(result);
    },
    roleAccess(roleArn: string) {
      const identities = [...mapping.entries()]
        .filter(([, e]) =>
          [...e.roles, ...e.cliOnlyRoles].some((a) => a.toLowerCase() === roleArn.toLowerCase()),
        )
        .map(([identity]) => identity)
        .sort();
      return Promise.resolve({ known: known.has(roleArn.toLowerCase()), identities });
    },
  };
}

/**
 * The issuance reads over a mapping, for unit tests: the mapping's two reads and a per-user count that
 * never resets (each test builds its own), with the adapter's RATE_LIMITED.
 */
export function createInMemoryIssuanceReader(mapping: AuthorizationMapping): IssuanceReader {
  const counts = new Map<string, number>();
  return {
    async readForIssuance({ user, identities, channel, arns, ratePerMinute }) {
      if (ratePerMinute !== undefined) {
        const count = (counts.get(user.toLowerCase()) ?? 0) + 1;
        counts.set(user.toLowerCase(), count);
        if (count > ratePerMinute) {
          throw new AppError('RATE_LIMITED', `at most ${ratePerMinute} per minute`, {
            context: { retryAfterSeconds: 60 },
          });
        }
      }
      return {
        eligible: await mapping.eligible(identities, channel),
        facts: await mapping.describeRoles(arns),
      };
    },
  };
}

/** Records every AssumeRole; answers with made-up credentials (or the failure it was given). */
export function createFakeIssuer(
  options: { maxSessionDuration?: number; fail?: AppError } = {},
): CredentialIssuer & { calls: AssumeRoleRequest[] } {
  const calls: AssumeRoleRequest[] = [];
  let counter = 0;
  return {
    calls,
    assumeRole(request) {
      calls.push(request);
      if (options.fail) return Promise.reject(options.fail);
      if (options.maxSessionDuration !== undefined && request.durationSeconds > options.maxSessionDuration) {
        return Promise.reject(
          new AppError('VALIDATION_FAILED', 'The requested DurationSeconds exceeds the MaxSessionDuration', {
            context: { reason: 'duration_exceeds_maximum' },
          }),
        );
      }
      counter += 1;
      const credentials: SessionCredentials = {
        accessKeyId: `ASIAFAKE${String(counter).padStart(8, '0')}`,
        secretAccessKey: `secret-${counter}-do-not-log`,
        sessionToken: `token-${counter}-do-not-log`,
        expiration: new Date(Date.UTC(2030, 0, 1) + request.durationSeconds * 1000),
      };
      return Promise.resolve(credentials);
    },
  };
}

export function createFakeSink(): AuditSink & { events: CredentialAuditEvent[] } {
  const events: CredentialAuditEvent[] = [];
  return {
    name: 'fake',
    events,
    record(event) {
      events.push(event);
      return Promise.resolve();
    },
  };
}

export const fakeSignin = (
  token = 'signin-token',
): SigninTokenSource & { sessions: SessionCredentials[] } => {
  const sessions: SessionCredentials[] = [];
  return {
    sessions,
    getSigninToken(credentials) {
      sessions.push(credentials);
      return Promise.resolve(token);
    },
  };
};

export const DEFAULT_SETTINGS: AuthorizationSettings = {
  authorizedTags: ['consoleme-authorized'],
  authorizedCliOnlyTags: ['consoleme-authorized-cli-only'],
  lowercaseIdentities: true,
};

export const role = (
  accountId: string,
  name: string,
  tags: Record<string, string> = {},
  extra: Partial<RoleFacts> = {},
): RoleFacts => ({
  arn: `arn:aws:iam::${accountId}:role/${name}`,
  accountId,
  name,
  tags,
  trustPolicy: { Statement: [{ Principal: { AWS: 'arn:aws:iam::111111111111:role/RolecallHub' } }] },
  ...extra,
});

/** Issue-credentials settings of the unit tests: no IP restriction, nobody exempt from it. */
export const ISSUE_SETTINGS = {
  sessionDurationSeconds: 3600,
  ipRestrictions: [] as string[],
  ipRestrictionExemptGroups: [] as string[],
  lowercaseIdentities: true,
};

/** Console-login settings of the unit tests: the AWS federation endpoint and console hosts. */
export const LOGIN_SETTINGS = {
  sessionDurationSeconds: 3600,
  lowercaseIdentities: true,
  federationUrl: 'https://signin.aws.amazon.com/federation',
  consoleUrl: 'https://{region}.console.aws.amazon.com/',
  issuer: 'rolecall',
  defaultRegion: 'us-east-1',
  consoleRedirectHosts: ['console.aws.amazon.com', '*.console.aws.amazon.com'],
};
