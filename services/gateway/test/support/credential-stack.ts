import type { NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { awsClientConfig, ensureAllTables, type AwsClientOptions } from '@rolecall/shared/aws';
import { parseConfig, type RolecallConfig } from '@rolecall/shared/config';
import type { CrawlStatus, CrawlType } from '@rolecall/shared/contracts';
import { silentLogger } from '@rolecall/shared/log';
import { connectNats, ensureAllStreams } from '@rolecall/shared/nats';
import { createRedis, redisKeys, type Redis } from '@rolecall/shared/redis';
import {
  DEMO_REGIONS,
  MOTO_CREDENTIALS,
  freePort,
  mergeDeep,
  seedDemoOrganization,
  startTestEnvironment,
  type DemoAccount,
  type DemoOrganization,
  type TestEnvironment,
} from '@rolecall/testing';
import { createHubStsClient } from '../../../broker/src/adapters/hub-sts-client.js';
import { buildApp, type BuildAppDeps } from '../../src/app.js';
import type { GatewayApp } from '../../src/routes/deps.js';
import { createStsCredentialIssuer } from '../../../broker/src/adapters/sts-credential-issuer.js';
import { buildBrokerService, type BrokerService } from '../../../broker/src/service.js';
import { buildCacheService, type CacheService } from '../../../cache/src/service.js';
import { buildCrawlerService } from '../../../crawler/src/service.js';

const REGION = 'us-east-1';

/**
 * What the demo organization's role tags (packages/testing/src/demo-org.ts) grant alice
 * (alice@example.com, groups engineering and payments) in every member account, as role path/name.
 * `app/app-{account}` is named after the account.
 */
export const ALICE_CONSOLE_ROLES = [
  'readonly', // engineering:readonly
  'poweruser', // admins:engineering
  'service/payments-api', // payments (and cli-only alice, which does not make it cli-only)
  'payments-oncall', // payments:admins
  'support', // engineering:alice@example.com
  'incident-responder', // admins:alice@example.com
  'notifications-publisher', // payments:engineering
  'app/app-{account}', // engineering
] as const;
/** Granted to alice by the cli-only tag alone. */
export const ALICE_CLI_ONLY_ROLES = [
  'service/payments-worker', // cli-only payments:alice@example.com
  'automation/ci-deployer', // cli-only engineering:admins
  'service/ec2-app-server', // console admins, cli-only engineering
] as const;

export const roleArn = (account: DemoAccount, path: string) =>
  `arn:aws:iam::${account.id}:role/${path.replace('{account}', account.name)}`;

export interface CredentialStackOptions {
  /** Member accounts of the demo organization; each is crawled. */
  memberAccountNames: readonly string[];
  /** Crawled as discovered without a name (Rolecall then calls it "Unknown"). */
  unnamedAccountNames?: readonly string[];
  /** Buckets, queues and topics as well as IAM (default false: IAM only). */
  withResources?: boolean;
  /** Merged into the configuration every service of the stack reads. */
  config?: Record<string, unknown>;
}

export interface CredentialStack {
  env: TestEnvironment;
  org: DemoOrganization;
  /** The crawled member accounts, in the order asked for. */
  accounts: DemoAccount[];
  account(name: string): DemoAccount;
  /** The configuration of every service; the gateway's `broker.federationUrl` target listens on `gatewayPort`. */
  config: RolecallConfig;
  /**
   * A gateway under test on the stack's Redis and NATS, its configuration the stack's with `over`
   * merged over it (deeply for objects); `deps`
   * replaces any of the rest (another NATS connection, a clock). The caller closes it.
   */
  buildGateway(over: Record<string, unknown>, deps?: Partial<BuildAppDeps>): Promise<GatewayApp>;
  /** Where the gateway must listen for the broker's console sign-in to reach its federation stand-in. */
  gatewayPort: number;
  gatewayUrl: string;
  /** A connection for the gateway under test (the broker has its own). */
  nc: NatsConnection;
  redis: Redis;
  aws: AwsClientOptions;
  /** Stops the running broker (if any) and starts one that reaches STS at `stsEndpointUrl` (default moto). */
  restartBroker(options?: { stsEndpointUrl?: string }): Promise<void>;
  stopBroker(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Runs the credential path of Rolecall in this process with real dependencies: NATS, Redis and moto
 * seeded with the demo organization; the real cache and crawler, one crawl of the member accounts
 * (waited for until the cache's Redis crawl status shows it succeeded); then the real broker, whose
 * authorization mapping is built from what the crawl cached. The gateway is left to the test.
 */
export async function startCredentialStack(options: CredentialStackOptions): Promise<CredentialStack> {
  const env = await startTestEnvironment();
  // Everything started is stopped in reverse order, also when starting fails half-way.
  const stops: (() => Promise<unknown> | void)[] = [() => env.stop()];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  };
  try {
    return await assemble(env, options, stops, stopAll);
  } catch (error) {
    await stopAll().catch(() => undefined);
    throw error;
  }
}

async function assemble(
  env: TestEnvironment,
  options: CredentialStackOptions,
  stops: (() => Promise<unknown> | void)[],
  stopAll: () => Promise<void>,
): Promise<CredentialStack> {
  const withResources = options.withResources ?? false;
  const org = await seedDemoOrganization({
    endpointUrl: env.moto.url,
    region: REGION,
    memberAccountNames: options.memberAccountNames,
    withResources,
  });
  const accounts = options.memberAccountNames.map((name) => {
    const found = org.accounts.find((a) => a.name === name);
    if (!found) throw new Error(`demo account ${name} was not seeded`);
    return found;
  });
  const account = (name: string) => {
    const found = accounts.find((a) => a.name === name);
    if (!found) throw new Error(`no crawled account ${name}`);
    return found;
  };
  const gatewayPort = await freePort();
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  const raw = mergeDeep(
    {
      environment: 'test',
      aws: {
        region: REGION,
        regions: [...DEMO_REGIONS],
        endpointUrl: env.moto.url,
        hubRoleArn: org.hubRoleArn,
        spokeRoleName: org.spokeRoleName,
      },
      nats: { url: env.nats.url },
      redis: { url: env.redis.url, keyPrefix: 'gwc:' },
      dynamodb: { tablePrefix: 'gwc_' },
      s3: { bucket: 'gwc-snapshots' },
      crawl: { scheduleEnabled: false, awsConfig: { enabled: false } },
      // Console sign-in goes to the gateway's demo stand-in for AWS's federation endpoint.
      demo: { federationStandIn: true },
      broker: { federationUrl: `${gatewayUrl}/demo/federation` },
    },
    options.config ?? {},
  );
  const config = parseConfig(raw);
  const aws: AwsClientOptions = { region: REGION, endpointUrl: env.moto.url, credentials: MOTO_CREDENTIALS };
  const log = silentLogger();

  const nc = await connectNats({ url: env.nats.url, name: 'gateway-under-test', log });
  stops.push(() => nc.close());
  const redis = createRedis(env.redis.url, 'gateway-under-test');
  stops.push(() => redis.disconnect());
  const dynamo = new DynamoDBClient(awsClientConfig('dynamodb', aws));
  const s3 = new S3Client(awsClientConfig('s3', aws));
  stops.push(() => {
    dynamo.destroy();
    s3.destroy();
  });
  // Every service's streams, as the processes of the whole stack would create them at their start.
  await ensureAllStreams(await jetstreamManager(nc));
  await ensureAllTables(dynamo, config.dynamodb.tablePrefix);

  // The cache and crawler each on a connection of their own, as their processes would be.
  const cacheNc = await connectNats({ url: env.nats.url, name: 'cache', log });
  const cacheRedis = createRedis(env.redis.url, 'cache');
  const cache: CacheService = buildCacheService({
    config,
    nc: cacheNc,
    redis: cacheRedis,
    dynamo,
    s3,
    log,
  });
  await cache.start();
  stops.push(async () => {
    await cache.stop();
    await cacheNc.drain();
    cacheRedis.disconnect();
  });

  const crawlerNc = await connectNats({ url: env.nats.url, name: 'crawler', log });
  const unnamed = new Set(options.unnamedAccountNames ?? []);
  const crawler = buildCrawlerService({
    config,
    nc: crawlerNc,
    log,
    aws,
    instance: 'crawler',
    // The member accounts only (not the management account), some of them without a name.
    accountSource: {
      kind: 'static',
      listAccounts: () =>
        Promise.resolve(
          accounts.map((a) => ({ id: a.id, name: unnamed.has(a.name) ? '' : a.name, status: 'ACTIVE' })),
        ),
    },
  });
  await crawler.start();
  try {
    const crawlTypes: CrawlType[] = withResources ? ['iam', 's3', 'sqs', 'sns'] : ['iam'];
    const crawl = await crawler.startCrawl({
      accountIds: accounts.map((a) => a.id),
      crawlTypes,
      requestedBy: 'gateway-test',
    });
    await waitForCrawl(redis, config, crawl.crawlId, crawl.jobs);
  } finally {
    await crawler.stop();
    await crawlerNc.drain();
  }

  // The broker on connections of its own; replaced by restartBroker.
  let broker: { service: BrokerService; stop(): Promise<void> } | undefined;
  const stopBroker = async () => {
    const running = broker;
    broker = undefined;
    await running?.stop();
  };
  const startBroker = async (stsEndpointUrl: string) => {
    const brokerNc = await connectNats({ url: env.nats.url, name: 'broker', log });
    const brokerRedis = createRedis(env.redis.url, 'broker');
    const watchRedis = createRedis(env.redis.url, 'broker-watch');
    // As the broker's main.ts: the process's credentials assume the hub role, which assumes the user's.
    const stsOptions = { ...aws, endpointUrl: stsEndpointUrl, maxAttempts: 1 };
    const hubSts = createHubStsClient({ aws: stsOptions, hubRoleArn: org.hubRoleArn });
    const service = buildBrokerService({
      config,
      nc: brokerNc,
      redis: brokerRedis,
      watchRedis,
      dynamo,
      issuer: createStsCredentialIssuer({ sts: hubSts }),
      log,
      instance: 'broker',
    });
    await service.start();
    broker = {
      service,
      async stop() {
        await service.stop();
        await brokerNc.drain();
        await Promise.all([brokerRedis.quit(), watchRedis.quit()]);
        hubSts.destroy();
      },
    };
  };
  stops.push(stopBroker);
  await startBroker(env.moto.url);

  return {
    env,
    org,
    accounts,
    account,
    config,
    buildGateway: (over, deps = {}) =>
      buildApp({ config: parseConfig(mergeDeep(raw, over)), redis, nc, log: silentLogger(), ...deps }),
    gatewayPort,
    gatewayUrl,
    nc,
    redis,
    aws,
    async restartBroker(restart = {}) {
      await stopBroker();
      await startBroker(restart.stsEndpointUrl ?? env.moto.url);
    },
    stopBroker,
    stop: stopAll,
  };
}

/** Waits until the cache's Redis crawl status shows every job of the crawl succeeded. */
async function waitForCrawl(
  redis: Redis,
  config: RolecallConfig,
  crawlId: string,
  jobs: readonly { accountId: string; crawlType: string }[],
  timeoutMs = 90_000,
): Promise<void> {
  const key = redisKeys(config.redis.keyPrefix).crawlStatus;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const statuses = await Promise.all(
      jobs.map(async (job) => {
        const raw = await redis.hget(key, `${job.accountId}:${job.crawlType}`);
        return raw ? (JSON.parse(raw) as CrawlStatus) : undefined;
      }),
    );
    const failed = statuses.find((s) => s?.lastError && !s.running && s.lastSuccessCrawlId !== crawlId);
    if (failed) throw new Error(`crawl failed: ${JSON.stringify(failed)}`);
    if (statuses.every((s) => s && !s.running && s.lastSuccessCrawlId === crawlId)) return;
    if (Date.now() > deadline) throw new Error(`crawl ${crawlId} unfinished: ${JSON.stringify(statuses)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
