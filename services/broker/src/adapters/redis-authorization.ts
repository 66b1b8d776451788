import { randomUUID } from 'node:crypto';
import type { Channel } from '@rolecall/shared/contracts';
import type { LoadedDynamicConfig } from '@rolecall/shared/dynamic-config';
import { AppError } from '@rolecall/shared/errors';
import type { Logger } from '@rolecall/shared/log';
import { callRedis, type Redis, type RedisKeys } from '@rolecall/shared/redis';
import { Value } from 'typebox/value';
import type { ChainableCommander } from 'ioredis';
import {
  eligibleFromGrants,
  grantsOfConfig,
  grantsOfRole,
  type AuthorizationSettings,
  type Grant,
} from '../domain/authorization.js';
import type {
  AuthorizationMaintainer,
  AuthorizationMapping,
  IssuanceReader,
  RoleSource,
} from '../domain/ports.js';
import { KnownRole, toKnownRole, type RoleFacts } from '../domain/roles.js';

const RELEASE_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

const GRANTS: readonly Grant[] = ['console', 'cli'];

interface ConfigVersion {
  sha256: string;
  updatedAt: string;
}

export interface RedisAuthorizationOptions {
  redis: Redis;
  /**
   * A second connection used only for WATCH/MULTI when replacing the group-mapping part; WATCH is per
   * connection, and another MULTI on the shared one would silently end it.
   */
  watchRedis: Redis;
  keys: RedisKeys;
  settings: AuthorizationSettings;
  roles: RoleSource;
  loadConfig: () => Promise<LoadedDynamicConfig>;
  log: Logger;
  /** How long a full build may hold the build lock. */
  lockTtlMs?: number;
  /** How long a caller waits for another process's build before giving up. */
  waitForBuildMs?: number;
  /** The clock of the credential rate limit's one-minute windows. */
  now?: () => number;
}

/** The credential rate limit's fixed window: the gateway's role_login limit counts in the same one. */
const RATE_WINDOW_MS = 60_000;

/**
 * The credential authorization mapping in Redis, shared by every broker copy (and readable by the
 * gateway): per identity a set of role ARNs per source (role tags, dynamic config) and grant (console,
 * CLI only), the reverse map per role, and the known roles. Built fully once (marker `authzReady`),
 * then kept current one role or one config version at a time.
 */
export function createRedisAuthorization(
  options: RedisAuthorizationOptions,
): AuthorizationMapping & AuthorizationMaintainer & IssuanceReader {
  const { redis, watchRedis, keys, settings, log } = options;
  const lockTtlMs = options.lockTtlMs ?? 120_000;
  const waitForBuildMs = options.waitForBuildMs ?? 60_000;
  const authzPattern = `${escapeGlob(keys.authzReady.replace(/ready$/, ''))}*`;
  let building: Promise<void> | undefined;
  const corruptRoles = new Set<string>();

  /** A known role as `writeRole` stored it; a corrupt entry is logged once and read as absent. */
  const parseKnownRole = (field: string, value: string): KnownRole | undefined => {
    try {
      const role: unknown = JSON.parse(value);
      if (Value.Check(KnownRole, role)) return role;
    } catch {
      // Not JSON: corrupt, as below.
    }
    if (!corruptRoles.has(field)) {
      corruptRoles.add(field);
      log.warn(
        { key: keys.authzRoles, field },
        'corrupt role in the authorization mapping; treated as absent',
      );
    }
    return undefined;
  };

  const exec = async (operation: string, multi: ChainableCommander) => {
    const results = await callRedis(operation, () => multi.exec());
    const failed = results?.find(([error]) => error);
    if (failed?.[0] instanceof AppError) throw failed[0];
    if (failed?.[0])
      throw new AppError('UPSTREAM_UNAVAILABLE', `Redis ${operation} failed: ${failed[0].message}`);
    return results;
  };

  const writeRole = (multi: ChainableCommander, role: RoleFacts) => {
    const lower = role.arn.toLowerCase();
    multi.hset(keys.authzRoles, lower, JSON.stringify(toKnownRole(role)));
    for (const [identity, grant] of grantsOfRole(role, settings)) {
      multi.sadd(keys.authzGrants('tag', grant, identity), role.arn);
      multi.hset(keys.authzReverse('tag', lower), identity, grant);
    }
  };

  const writeConfig = (multi: ChainableCommander, config: LoadedDynamicConfig) => {
    for (const [identity, roles] of grantsOfConfig(config.config, settings)) {
      multi.sadd(keys.authzConfigIdentities, identity);
      for (const [arn, grant] of roles) {
        multi.sadd(keys.authzGrants('cfg', grant, identity), arn);
        multi.hset(keys.authzReverse('cfg', arn.toLowerCase()), identity, grant);
      }
    }
    const version: ConfigVersion = { sha256: config.sha256, updatedAt: config.updatedAt ?? '' };
    multi.set(keys.authzConfigVersion, JSON.stringify(version));
  };

  const rebuild = async () => {
    const [roles, config] = await Promise.all([options.roles.listRoles(), options.loadConfig()]);
    const existing: string[] = [];
    await callRedis('scan mapping keys', async () => {
      for await (const batch of redis.scanStream({ match: authzPattern, count: 1000 })) {
        for (const key of batch as string[]) if (key !== keys.authzLock) existing.push(key);
      }
    });
    const multi = redis.multi();
    for (let i = 0; i < existing.length; i += 500) multi.del(...existing.slice(i, i + 500));
    for (const role of roles) writeRole(multi, role);
    writeConfig(multi, config);
    multi.set(keys.authzReady, new Date().toISOString());
    await exec('write mapping', multi);
    log.info({ roles: roles.length, configSha256: config.sha256 }, 'authorization mapping built');
  };

  const buildWithLock = async () => {
    const token = randomUUID();
    const deadline = Date.now() + waitForBuildMs;
    for (;;) {
      if ((await callRedis('check mapping', () => redis.exists(keys.authzReady))) === 1) return;
      const taken = await callRedis('take build lock', () =>
        redis.set(keys.authzLock, token, 'PX', lockTtlMs, 'NX'),
      );
      if (taken === 'OK') {
        try {
          await rebuild();
        } finally {
          await callRedis('release build lock', () => redis.eval(RELEASE_LOCK, 1, keys.authzLock, token));
        }
        return;
      }
      if (Date.now() > deadline) {
        throw new AppError(
          'UPSTREAM_UNAVAILABLE',
          'the authorization mapping is still being built; try again',
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };

  const ensureBuilt = async () => {
    if ((await callRedis('check mapping', () => redis.exists(keys.authzReady))) === 1) return;
    building ??= buildWithLock().finally(() => {
      building = undefined;
    });
    await building;
  };

  /** The grant sets of identities, per grant (empty for no identities: no SUNION then). */
  const eligibleKeys = (identities: readonly string[]) => {
    const of = (grant: Grant) =>
      identities.flatMap((i) => [keys.authzGrants('tag', grant, i), keys.authzGrants('cfg', grant, i)]);
    return { console: of('console'), cli: of('cli') };
  };

  const readEligible = async (identities: readonly string[], channel: Channel) => {
    const { console: consoleKeys, cli: cliKeys } = eligibleKeys(identities);
    const pipeline = redis.pipeline().exists(keys.authzReady);
    if (consoleKeys.length > 0) pipeline.sunion(...consoleKeys);
    if (channel === 'cli' && cliKeys.length > 0) pipeline.sunion(...cliKeys);
    const results = (await exec('read eligible roles', pipeline)) ?? [];
    const value = (index: number) => results[index]?.[1];
    return {
      ready: value(0) === 1,
      console: (value(1) as string[] | undefined) ?? [],
      cliOnly: (value(2) as string[] | undefined) ?? [],
    };
  };

  /** Reads the facts of roles by ARN from an HMGET's answer, in the order asked. */
  const factsOf = (lower: readonly string[], values: readonly (string | null)[]) => {
    const result = new Map<string, KnownRole>();
    values.forEach((value, index) => {
      const field = lower[index] as string;
      const role = value ? parseKnownRole(field, value) : undefined;
      if (role) result.set(field, role);
    });
    return result;
  };

  const api: AuthorizationMapping & AuthorizationMaintainer & IssuanceReader = {
    async eligible(identities, channel) {
      let read = await readEligible(identities, channel);
      if (!read.ready) {
        await ensureBuilt();
        read = await readEligible(identities, channel);
      }
      return eligibleFromGrants(read.console, read.cliOnly, channel);
    },

    async describeRoles(arns) {
      const result = new Map<string, KnownRole>();
      if (arns.length === 0) return result;
      const lower = arns.map((a) => a.toLowerCase());
      const values = await callRedis('read roles', () => redis.hmget(keys.authzRoles, ...lower));
      return factsOf(lower, values);
    },

    async readForIssuance({ user, identities, channel, arns, ratePerMinute }) {
      // One MULTI, one round trip: the rate-limit charge (INCR + PEXPIRE, so a counter never outlives its
      // window), the built marker, the caller's grants and the named roles' facts. MULTI also makes the
      // reads one snapshot of the mapping.
      const multi = redis.multi();
      const now = (options.now ?? Date.now)();
      const windowStart = now - (now % RATE_WINDOW_MS);
      if (ratePerMinute !== undefined) {
        const key = keys.credentialRate(user.toLowerCase(), windowStart);
        multi.incr(key).pexpire(key, RATE_WINDOW_MS);
      }
      // Each reply's place in the MULTI, as the commands are queued.
      let queued = ratePerMinute !== undefined ? 2 : 0;
      const at = () => queued++;
      const grants = eligibleKeys(identities);
      const readyAt = at();
      multi.exists(keys.authzReady);
      const consoleAt = grants.console.length > 0 ? at() : undefined;
      if (consoleAt !== undefined) multi.sunion(...grants.console);
      const cliAt = channel === 'cli' && grants.cli.length > 0 ? at() : undefined;
      if (cliAt !== undefined) multi.sunion(...grants.cli);
      const lower = arns.map((a) => a.toLowerCase());
      const rolesAt = lower.length > 0 ? at() : undefined;
      if (rolesAt !== undefined) multi.hmget(keys.authzRoles, ...lower);
      const results = (await exec('read for issuance', multi)) ?? [];
      const value = (index: number | undefined) => (index === undefined ? undefined : results[index]?.[1]);
      if (ratePerMinute !== undefined && Number(results[0]?.[1] ?? 0) > ratePerMinute) {
        const retryAfterSeconds = Math.max(1, Math.ceil((windowStart + RATE_WINDOW_MS - now) / 1000));
        throw new AppError(
          'RATE_LIMITED',
          `too many credential requests: at most ${ratePerMinute} per minute; retry in ${retryAfterSeconds} s`,
          { context: { retryAfterSeconds } },
        );
      }
      if (value(readyAt) !== 1) {
        // Not built yet (first start, or Redis lost it): build, then read again without a second charge.
        const eligible = await api.eligible(identities, channel);
        return { eligible, facts: await api.describeRoles(arns) };
      }
      return {
        eligible: eligibleFromGrants(
          (value(consoleAt) as string[] | undefined) ?? [],
          (value(cliAt) as string[] | undefined) ?? [],
          channel,
        ),
        facts: factsOf(lower, (value(rolesAt) as (string | null)[] | undefined) ?? []),
      };
    },

    async roleAccess(roleArn) {
      await ensureBuilt();
      const lower = roleArn.toLowerCase();
      const results =
        (await exec(
          'read role access',
          redis
            .pipeline()
            .hexists(keys.authzRoles, lower)
            .hkeys(keys.authzReverse('tag', lower))
            .hkeys(keys.authzReverse('cfg', lower)),
        )) ?? [];
      const identities = new Set([
        ...((results[1]?.[1] as string[] | undefined) ?? []),
        ...((results[2]?.[1] as string[] | undefined) ?? []),
      ]);
      return { known: results[0]?.[1] === 1, identities: [...identities].sort() };
    },

    async applyRole(arn, after) {
      await ensureBuilt();
      const lower = arn.toLowerCase();
      const [previousGrants, previousRole] = await callRedis('read role grants', () =>
        Promise.all([redis.hgetall(keys.authzReverse('tag', lower)), redis.hget(keys.authzRoles, lower)]),
      );
      const previousKnown = previousRole ? parseKnownRole(lower, previousRole) : undefined;
      const previousArns = new Set([arn, ...(previousKnown ? [previousKnown.arn] : [])]);
      const multi = redis.multi();
      for (const [identity, grant] of Object.entries(previousGrants)) {
        multi.srem(keys.authzGrants('tag', grant as Grant, identity), ...previousArns);
      }
      multi.del(keys.authzReverse('tag', lower));
      if (after) writeRole(multi, after);
      else multi.hdel(keys.authzRoles, lower);
      await exec('apply role change', multi);
      log.debug({ arn, deleted: !after }, 'role grants replaced');
    },

    async applyConfig(config) {
      await ensureBuilt();
      for (let attempt = 0; attempt < 10; attempt += 1) {
        await callRedis('watch config version', () => watchRedis.watch(keys.authzConfigVersion));
        const stored = await callRedis('read config version', () => watchRedis.get(keys.authzConfigVersion));
        const current = stored ? (JSON.parse(stored) as ConfigVersion) : undefined;
        // Another copy may already have applied this or a newer version: never go back.
        if (current && (current.sha256 === config.sha256 || current.updatedAt > (config.updatedAt ?? ''))) {
          await watchRedis.unwatch();
          return;
        }
        const identities = await callRedis('read config identities', () =>
          watchRedis.smembers(keys.authzConfigIdentities),
        );
        const stale: string[] = [keys.authzConfigIdentities];
        for (const identity of identities) {
          for (const grant of GRANTS) {
            const key = keys.authzGrants('cfg', grant, identity);
            stale.push(key);
            for (const arn of await watchRedis.smembers(key))
              stale.push(keys.authzReverse('cfg', arn.toLowerCase()));
          }
        }
        const multi = watchRedis.multi();
        multi.del(...new Set(stale));
        writeConfig(multi, config);
        const results = await callRedis('apply config', () => multi.exec());
        if (results === null) continue;
        const failed = results.find(([error]) => error);
        if (failed?.[0])
          throw new AppError('UPSTREAM_UNAVAILABLE', `Redis apply config failed: ${failed[0].message}`);
        log.info({ sha256: config.sha256 }, 'group mapping applied');
        return;
      }
      throw new AppError('CONFLICT', 'the group mapping kept changing while being applied; will retry');
    },

    ensureBuilt,
  };
  return api;
}

const escapeGlob = (text: string) => text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
