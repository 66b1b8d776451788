import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createRedisCacheReader } from '@rolecall/cache/reader';
import { tableNames } from '@rolecall/shared/aws';
import type { RolecallConfig } from '@rolecall/shared/config';
import {
  accessOperations,
  requestsEvents,
  requestsOperations,
  requestsStreams,
  selfServiceOperations,
  type Handlers,
  type PolicyRequestSettings,
} from '@rolecall/shared/contracts';
import {
  createDynamicConfigStore,
  watchDynamicConfig,
  type DynamicConfigWatch,
} from '@rolecall/shared/dynamic-config';
import type { Logger } from '@rolecall/shared/log';
import {
  createDurableConsumer,
  readMessage,
  serve,
  type DurableConsumer,
  type ServedEndpoints,
} from '@rolecall/shared/nats';
import { redisKeys, type Redis } from '@rolecall/shared/redis';
import { createAwsChangeWriter, createAwsRoleDescriber } from './adapters/aws-change-writer.js';
import { createCacheResourceLookup } from './adapters/cache-resource-lookup.js';
import { createDynamoRequestStore } from './adapters/dynamo-request-store.js';
import { createDynamoExpiryClaims } from './adapters/expiry-claims.js';
import { createJetStreamRequestEvents } from './adapters/jetstream-request-events.js';
import { createRequestListFeed } from './adapters/jetstream-request-list-feed.js';
import { createNatsRecrawler } from './adapters/recrawl.js';
import { createRedisRequestList } from './adapters/redis-request-list.js';
import type { SpokeClients } from './adapters/spoke-clients.js';
import type { ChangeWriter } from './domain/ports.js';
import { createCreateRequestHandler } from './handlers/create-request.js';
import { createExpireGrants, startInterval } from './handlers/expire-grants.js';
import { createGenerateChangesHandler } from './handlers/generate-changes.js';
import { createGetRequestHandler } from './handlers/get-request.js';
import { createListRequestsHandler } from './handlers/list-requests.js';
import { createModifyRequestHandler } from './handlers/modify-request.js';
import { createRequestHistoryHandler } from './handlers/request-history.js';
import { createSimulateAccessHandler } from './handlers/simulate-access.js';
import { resumeApplying } from './handlers/resume-applying.js';
import { createWorkflow } from './handlers/workflow.js';
import { resolveApproverAddresses, type Notifier, type RecipientsLookup } from './notifications/index.js';

/** Durable consumer names, shared by every requests copy. */
export const REQUESTS_DURABLES = { notify: 'requests-notify' } as const;

export interface RequestsServiceOptions {
  config: RolecallConfig;
  nc: NatsConnection;
  redis: Redis;
  dynamo: DynamoDBClient;
  /** Each account's IAM, S3, SQS and SNS clients through its spoke role. */
  spokes: SpokeClients;
  /** Built by main.ts from `requests.notifications`; the routing is the dynamic config's, read each time. */
  createNotifier: (deps: {
    routing: () => PolicyRequestSettings['notifications'];
    recipients: RecipientsLookup;
  }) => Notifier;
  log: Logger;
  /** Names this process in every envelope's `source` and in its expiry claims. */
  instance?: string;
  /** The AWS writes, when a test wraps them; defaults to the spoke-role writer. */
  writer?: ChangeWriter;
}

export interface RequestsService {
  start(): Promise<void>;
  /** Stops the endpoints, then the expiry runner and consumers; an apply in flight finishes first. */
  stop(): Promise<void>;
}

export function buildRequestsService(options: RequestsServiceOptions): RequestsService {
  const { config, nc, redis, log } = options;
  const instance = options.instance ?? 'requests';
  const js = jetstream(nc);
  const keys = redisKeys(config.redis.keyPrefix);
  const tables = tableNames(config.dynamodb.tablePrefix);
  const doc = DynamoDBDocumentClient.from(options.dynamo, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });

  const configStore = createDynamicConfigStore({ dynamo: options.dynamo, tableName: tables.dynamicConfig });
  let settings: PolicyRequestSettings | undefined;
  const store = createDynamoRequestStore({ doc, tableName: tables.requests });
  const reader = createRedisCacheReader({ redis, keys, log: log.child({ component: 'cache-reader' }) });
  const lookup = createCacheResourceLookup({ reader });
  const writer = options.writer ?? createAwsChangeWriter({ spokes: options.spokes });
  const list = createRedisRequestList({
    redis,
    keys,
    owner: instance,
    log: log.child({ component: 'request-list' }),
  });
  const workflow = createWorkflow({
    store,
    lookup,
    writer,
    recrawler: createNatsRecrawler({ nc, source: instance }),
    events: createJetStreamRequestEvents({ js, source: instance }),
    settings: () => settings,
    adminGroups: config.auth.adminGroups,
    lowercaseGroups: config.auth.lowercaseGroups,
    log,
  });
  const notifier = options.createNotifier({
    routing: () => settings?.notifications,
    recipients: {
      // The requester, and the approvers: users by address, groups at the addresses dynamic config
      // gives them (read at each delivery, so an edit counts at once).
      async recipientsOf(requestId) {
        const request = await store.get(requestId);
        if (request === undefined) return { approvers: [] };
        const explanation = workflow.explain(request, await workflow.touchedOf(request));
        const { addresses, unresolved } = resolveApproverAddresses(
          explanation.requirements.flatMap((r) => r.approvers),
          settings?.approver_addresses,
        );
        if (unresolved.length > 0) {
          log.info(
            { policyRequestId: requestId, groups: unresolved },
            'approver groups with no address in policy_requests.approver_addresses are not mailed',
          );
        }
        return { requester: request.requester_email, approvers: addresses };
      },
    },
  });

  const expireGrants = createExpireGrants({
    workflow,
    store,
    writer,
    claims: createDynamoExpiryClaims({ doc, tableName: tables.requests, owner: instance }),
    leaseMs: config.requests.expiryLeaseMs,
    notifier,
    log: log.child({ component: 'expiry' }),
  });

  const handlers: Handlers<typeof requestsOperations> = {
    create: createCreateRequestHandler({
      workflow,
      lookup,
      publicUrl: config.gateway.publicUrl,
      crossAccount: { wildcards: config.requests.crossAccountWildcards, maxExpansion: 50 },
      roles: {
        hubRoleArn: config.aws.hubRoleArn,
        describer: createAwsRoleDescriber({ spokes: options.spokes }),
        protectedRoleNames: [
          config.aws.spokeRoleName,
          ...(config.aws.hubRoleArn === undefined ? [] : [config.aws.hubRoleArn.split('/').pop() ?? '']),
        ],
      },
      log,
    }),
    list: createListRequestsHandler({ list, store }),
    get: createGetRequestHandler({ workflow, store, lookup }),
    modify: createModifyRequestHandler({ workflow, store, log }),
    events: createRequestHistoryHandler({ store }),
  };

  const consumers: DurableConsumer[] = [];
  let endpoints: ServedEndpoints[] = [];
  let configWatch: DynamicConfigWatch | undefined;
  let expiry: { stop(): Promise<void> } | undefined;

  return {
    async start() {
      const jsm = await jetstreamManager(nc);
      configWatch = await watchDynamicConfig({
        nc,
        store: configStore,
        onChange: (loaded) => {
          settings = loaded.config.policy_requests;
        },
        log,
      });
      const listFeed = createRequestListFeed({
        js,
        jsm,
        requests: store,
        list,
        log: log.child({ consumer: 'requests-list' }),
      });
      // Notifications never block the request or the list: the notifier retries, logs and never rejects.
      const notify = createDurableConsumer({
        js,
        jsm,
        stream: requestsStreams.events.name,
        durable: REQUESTS_DURABLES.notify,
        deliver: 'new',
        concurrency: 8,
        log: log.child({ consumer: REQUESTS_DURABLES.notify }),
        handle: (msg) => notifier.notify(readMessage(requestsEvents.policyRequestHappened, msg).data),
      });
      consumers.push(listFeed, notify);
      for (const consumer of consumers) await consumer.ensure();
      // After the feed exists, so no event falls between the rebuild and the feed.
      await list.rebuildIfEmpty(() => store.all());
      for (const consumer of consumers) await consumer.start();

      endpoints = [
        await serve(nc, { version: '0.1.0', log }, requestsOperations, handlers),
        await serve(nc, { version: '0.1.0', log }, selfServiceOperations, {
          generateChanges: createGenerateChangesHandler({ lookup }),
        }),
        await serve(nc, { version: '0.1.0', log }, accessOperations, {
          simulate: createSimulateAccessHandler({ reader, lookup, store }),
        }),
      ];
      // A crash mid-apply left requests `applying`: finished (or reported) before new work is taken.
      await resumeApplying({ workflow, store, log });
      expiry = startInterval(() => expireGrants.run(), config.requests.expiryIntervalMs, log);
      log.info({ instance }, 'requests started');
    },

    async stop() {
      await Promise.all(endpoints.map((e) => e.stop()));
      endpoints = [];
      await expiry?.stop();
      await Promise.all(consumers.map((c) => c.stop()));
      consumers.length = 0;
      await workflow.settled();
      await configWatch?.stop();
      log.info({ instance }, 'requests stopped');
    },
  };
}
