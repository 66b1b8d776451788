import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tableNames, whenTablesExist } from '@rolecall/shared/aws';
import type { RolecallConfig } from '@rolecall/shared/config';
import {
  brokerEvents,
  brokerOperations,
  brokerSubjects,
  cacheEvents,
  cacheSubjects,
  type Handlers,
} from '@rolecall/shared/contracts';
import {
  createDynamicConfigStore,
  watchDynamicConfig,
  type DynamicConfigStore,
  type DynamicConfigWatch,
} from '@rolecall/shared/dynamic-config';
import type { Logger } from '@rolecall/shared/log';
import type { RunningService } from '@rolecall/shared/runtime';
import {
  createDurableConsumer,
  readMessage,
  serve,
  type DurableConsumer,
  type ServedEndpoints,
} from '@rolecall/shared/nats';
import { redisKeys, type Redis } from '@rolecall/shared/redis';
import { createDirectAuditSink } from './adapters/direct-audit-sink.js';
import { createDynamoAuditStore } from './adapters/dynamo-audit-store.js';
import { createDynamoRoleSource } from './adapters/dynamo-role-source.js';
import { createFederationSignin } from './adapters/federation-signin.js';
import { createJetStreamAuditSink } from './adapters/jetstream-audit-sink.js';
import { createRedisAccountDirectory } from './adapters/redis-account-directory.js';
import { createRedisAuthorization } from './adapters/redis-authorization.js';
import type { AuthorizationSettings } from './domain/authorization.js';
import type {
  AuditStore,
  AuthorizationMaintainer,
  AuthorizationMapping,
  CredentialIssuer,
  SigninTokenSource,
} from './domain/ports.js';
import { createApplyRoleChangeHandler } from './handlers/apply-role-change.js';
import { createAuditRecorder } from './handlers/audit-recorder.js';
import { createConsoleLoginHandler } from './handlers/console-login.js';
import { createEligibleRolesHandler } from './handlers/eligible-roles.js';
import { createIssueCredentialsHandler } from './handlers/issue-credentials.js';
import { createPersistAuditEventHandler } from './handlers/persist-audit-event.js';
import { createQueryAuditHandler } from './handlers/query-audit.js';
import { createRoleAccessHandler } from './handlers/role-access.js';

/** nats-server's default max_payload, for before the connection has the server's own figure. */
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

/** Durable consumer names, shared by every broker copy. */
export const BROKER_DURABLES = { roleChanges: 'broker-authz', audit: 'broker-audit' } as const;

export interface BrokerServiceOptions {
  config: RolecallConfig;
  nc: NatsConnection;
  redis: Redis;
  /** A second Redis connection for WATCH/MULTI (see createRedisAuthorization). */
  watchRedis: Redis;
  dynamo: DynamoDBClient;
  /** AssumeRole with the hub credentials. */
  issuer: CredentialIssuer;
  /** Defaults to the federation endpoint of `broker.federationUrl` over fetch. */
  signin?: SigninTokenSource;
  log: Logger;
  /** Names this process in every envelope's `source`. */
  instance?: string;
}

/** `stop` stops the endpoints, then the consumers; in-flight messages finish or go back to the stream. */
export interface BrokerService extends RunningService {
  mapping: AuthorizationMapping;
  maintainer: AuthorizationMaintainer;
  configStore: DynamicConfigStore;
  auditStore: AuditStore;
}

export function buildBrokerService(options: BrokerServiceOptions): BrokerService {
  const { config, nc, redis, log } = options;
  const instance = options.instance ?? 'broker';
  const js = jetstream(nc);
  const keys = redisKeys(config.redis.keyPrefix);
  const tables = tableNames(config.dynamodb.tablePrefix);
  const doc = DynamoDBDocumentClient.from(options.dynamo, {
    marshallOptions: { removeUndefinedValues: true },
  });
  const lowercaseIdentities = config.auth.lowercaseGroups;
  const settings: AuthorizationSettings = {
    authorizedTags: config.broker.authorizedTags,
    authorizedCliOnlyTags: config.broker.authorizedCliOnlyTags,
    requiredTrustPolicyEntity: config.broker.requiredTrustPolicyEntity,
    lowercaseIdentities,
  };

  const configStore = createDynamicConfigStore({
    dynamo: options.dynamo,
    tableName: tables.dynamicConfig,
    js,
    source: instance,
  });
  const authorization = createRedisAuthorization({
    redis,
    watchRedis: options.watchRedis,
    keys,
    settings,
    roles: createDynamoRoleSource({
      doc,
      tableName: tables.roles,
      log: log.child({ component: 'role-source' }),
    }),
    loadConfig: () => configStore.load(),
    log: log.child({ component: 'authorization' }),
  });
  const auditStore = createDynamoAuditStore({ doc, tableName: tables.audit });
  // JetStream first (the audit consumer persists it, and subscribers see it); the table directly when
  // JetStream cannot take the record, so a NATS outage never leaves issued credentials unrecorded.
  const auditRecorder = createAuditRecorder({
    sinks: [createJetStreamAuditSink({ js, source: instance }), createDirectAuditSink({ store: auditStore })],
    log,
    lowercaseIdentities,
  });
  const signin = options.signin ?? createFederationSignin({ federationUrl: config.broker.federationUrl });

  const handlers: Handlers<typeof brokerOperations> = {
    issueCredentials: createIssueCredentialsHandler({
      mapping: authorization,
      reads: authorization,
      issuer: options.issuer,
      audit: auditRecorder,
      settings: {
        sessionDurationSeconds: config.broker.sessionDurationSeconds,
        ipRestrictions: config.broker.ipRestrictions,
        ipRestrictionExemptGroups: config.broker.ipRestrictionExemptGroups,
        lowercaseIdentities,
      },
      log,
    }),
    consoleLogin: createConsoleLoginHandler({
      mapping: authorization,
      issuer: options.issuer,
      signin,
      audit: auditRecorder,
      settings: {
        sessionDurationSeconds: config.broker.sessionDurationSeconds,
        lowercaseIdentities,
        consoleRedirectHosts: config.broker.consoleRedirectHosts,
        federationUrl: config.broker.federationUrl,
        consoleUrl: config.broker.consoleUrl,
        issuer: config.broker.issuer,
        defaultRegion: config.aws.region,
      },
      log,
    }),
    eligibleRoles: createEligibleRolesHandler({
      mapping: authorization,
      accounts: createRedisAccountDirectory({ redis, keys, log: log.child({ component: 'accounts' }) }),
      lowercaseIdentities,
      maxReplyBytes: () => nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD,
    }),
    roleAccess: createRoleAccessHandler({ mapping: authorization }),
    queryAudit: createQueryAuditHandler({ store: auditStore, lowercaseIdentities }),
  };

  const applyRoleChange = createApplyRoleChangeHandler({ maintainer: authorization });
  const persistAudit = createPersistAuditEventHandler({ store: auditStore });
  const consumers: DurableConsumer[] = [];
  let endpoints: ServedEndpoints[] = [];
  let configWatch: DynamicConfigWatch | undefined;

  return {
    mapping: authorization,
    maintainer: authorization,
    configStore,
    auditStore,

    async start() {
      const jsm = await jetstreamManager(nc);
      // Role changes are applied one at a time in stream order (max_ack_pending 1): each replaces a
      // role's grants, so order decides which version wins. A new consumer starts at "now" because
      // the full build covers everything before.
      const roleChanges = createDurableConsumer({
        js,
        jsm,
        stream: cacheEvents.resourceChanged.stream.name,
        durable: BROKER_DURABLES.roleChanges,
        filterSubject: cacheSubjects.resourceChangedOfType('iam_role'),
        deliver: 'new',
        concurrency: 1,
        log: log.child({ consumer: BROKER_DURABLES.roleChanges }),
        handle: (msg) => applyRoleChange(readMessage(cacheEvents.resourceChanged, msg).data),
      });
      const audit = createDurableConsumer({
        js,
        jsm,
        stream: brokerEvents.credentialsAudited.stream.name,
        durable: BROKER_DURABLES.audit,
        filterSubject: brokerSubjects.credentialsAuditedAll,
        deliver: 'all',
        concurrency: 64,
        log: log.child({ consumer: BROKER_DURABLES.audit }),
        handle: (msg) => persistAudit(readMessage(brokerEvents.credentialsAudited, msg).data),
      });
      consumers.push(roleChanges, audit);
      for (const consumer of consumers) await consumer.ensure();
      // The full build reads the cache's roles table and the gateway's dynamic config table; a broker
      // that starts before either owner has created its table waits for it (logged) instead of failing.
      await whenTablesExist(options.dynamo, config.dynamodb.tablePrefix, ['roles', 'dynamicConfig'], { log });
      // Applying the config at start also builds the whole mapping when Redis has none.
      configWatch = await watchDynamicConfig({
        nc,
        store: configStore,
        onChange: (loaded) => authorization.applyConfig(loaded),
        log,
      });
      await authorization.ensureBuilt();
      for (const consumer of consumers) await consumer.start();

      endpoints = [await serve(nc, { version: '0.1.0', log }, brokerOperations, handlers)];
      log.info({ instance }, 'broker started');
    },

    async stop() {
      await Promise.all(endpoints.map((e) => e.stop()));
      endpoints = [];
      // Records still being retried get a last chance (each is logged with its key id if it stays lost).
      await auditRecorder.settled();
      await Promise.all(consumers.map((c) => c.stop()));
      consumers.length = 0;
      await configWatch?.stop();
      log.info({ instance }, 'broker stopped');
    },
  };
}
