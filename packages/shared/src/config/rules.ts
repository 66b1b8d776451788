import { isIP } from 'node:net';
import type { RolecallConfig } from './schema.js';

/** One thing wrong with a configuration: a JSON pointer into it (`/auth/jwt/secret`) and what is wrong. */
export interface ConfigProblem {
  path: string;
  message: string;
}

/** The services that read the configuration; a rule only some of them need names them. */
export type RolecallService = 'gateway' | 'broker' | 'cache' | 'crawler' | 'requests';

/**
 * A rule spanning keys, which the schema cannot say. Checked after the schema, and only when every key it
 * reads passed the schema, so one mistake is reported once and a rule never sees a value of the wrong type.
 */
export interface ConfigRule {
  /** JSON pointers of the keys the rule reads. */
  reads: readonly string[];
  /** The services that need the rule; omitted: every service, and `parseConfig` given none. */
  services?: readonly RolecallService[];
  check(config: RolecallConfig): ConfigProblem | undefined;
}

export const MIN_JWT_SECRET_LENGTH = 32;

export const CONFIG_RULES: readonly ConfigRule[] = [
  {
    // The stand-in answers console sign-ins in place of AWS's federation endpoint, for the demo only. Every
    // service refuses it, not only the gateway that serves it: they share one file, so each start says so.
    reads: ['/environment', '/demo/federationStandIn'],
    check: (config) =>
      config.demo.federationStandIn && config.environment === 'production'
        ? { path: '/demo/federationStandIn', message: 'demo.federationStandIn must not be on in production' }
        : undefined,
  },
  {
    // Demo users can sign in by name alone (the demo's user picker sets their session cookie): that must
    // never be possible in production, where the trusted proxy says who someone is.
    reads: ['/environment', '/demo/users'],
    check: (config) =>
      config.demo.users.length > 0 && config.environment === 'production'
        ? {
            path: '/demo/users',
            message: 'demo.users must be empty in production (they may sign in without a password)',
          }
        : undefined,
  },
  {
    // Every gateway copy signs and verifies with this key: a random per-process one (ConsoleMe's fallback)
    // would make each copy refuse the others' cookies. Only the gateway needs it, so the other services
    // start without it (and need not be given it). Demo and test get a random key when it is unset.
    reads: ['/environment', '/auth/jwt/secret', '/auth/jwt/keys'],
    services: ['gateway'],
    check: (config) => {
      const secret = config.auth.jwt.secret;
      const keys = config.auth.jwt.keys ?? [];
      if (config.environment !== 'production') return undefined;
      const shortKey = keys.findIndex((key) => key.secret.length < MIN_JWT_SECRET_LENGTH);
      if (shortKey >= 0) {
        return {
          path: `/auth/jwt/keys/${shortKey}/secret`,
          message: `auth.jwt.keys[${shortKey}].secret must be at least ${MIN_JWT_SECRET_LENGTH} characters in production (e.g. \`openssl rand -base64 48\`)`,
        };
      }
      // With rotating keys, `secret` may be absent; when it is set it still verifies, so it must be strong too.
      if (keys.length > 0 && (secret === undefined || secret.length >= MIN_JWT_SECRET_LENGTH))
        return undefined;
      if ((secret?.length ?? 0) >= MIN_JWT_SECRET_LENGTH) return undefined;
      return {
        path: '/auth/jwt/secret',
        message:
          `auth.jwt.secret must be set to at least ${MIN_JWT_SECRET_LENGTH} characters in ${config.environment} ` +
          '(the same value on every gateway copy; e.g. `openssl rand -base64 48`, or ROLECALL__AUTH__JWT__SECRET)',
      };
    },
  },
  {
    // A `kid` names one key: two keys under one id would make a token verify against whichever came first.
    reads: ['/auth/jwt/keys'],
    services: ['gateway'],
    check: (config) => {
      const ids = (config.auth.jwt.keys ?? []).map((key) => key.id);
      const repeated = ids.findIndex((id, index) => ids.indexOf(id) !== index);
      return repeated < 0
        ? undefined
        : {
            path: `/auth/jwt/keys/${repeated}/id`,
            message: `auth.jwt.keys: the id ${ids[repeated]} is used twice; every key needs its own id`,
          };
    },
  },
  {
    // An entry that is not an address would otherwise be skipped silently, and the proxy behind it would
    // find every user signed out with no word why.
    reads: ['/gateway/trustedProxies'],
    services: ['gateway'],
    check: (config) => {
      const bad = config.gateway.trustedProxies.findIndex((entry) => !isAddressOrCidr(entry));
      return bad < 0
        ? undefined
        : {
            path: `/gateway/trustedProxies/${bad}`,
            message: `gateway.trustedProxies: ${config.gateway.trustedProxies[bad]} is not an IP address or CIDR range (e.g. 10.0.12.15, 10.0.12.0/24, fd00::/8)`,
          };
    },
  },
];

function isAddressOrCidr(entry: string): boolean {
  const [address = '', prefix, ...rest] = entry.trim().split('/');
  const family = isIP(address.replace(/^::ffff:(?=\d+\.)/i, ''));
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  const bits = /^\d{1,3}$/.test(prefix) ? Number(prefix) : -1;
  return bits >= 0 && bits <= (family === 6 ? 128 : 32);
}

/**
 * The problems the cross-key rules find: those of every service plus, when `service` is given, its own.
 * `schemaProblems` are the schema's findings on the same document; a rule reading a key among them is skipped.
 */
export function checkConfigRules(
  config: RolecallConfig,
  options: { service?: RolecallService | undefined; schemaProblems?: readonly ConfigProblem[] } = {},
): ConfigProblem[] {
  const broken = (options.schemaProblems ?? []).map((p) => p.path);
  const touches = (read: string, path: string) =>
    path === '/' || read === path || read.startsWith(`${path}/`) || path.startsWith(`${read}/`);
  return CONFIG_RULES.filter(
    (rule) =>
      (rule.services === undefined ||
        (options.service !== undefined && rule.services.includes(options.service))) &&
      !rule.reads.some((read) => broken.some((path) => touches(read, path))),
  ).flatMap((rule) => rule.check(config) ?? []);
}
