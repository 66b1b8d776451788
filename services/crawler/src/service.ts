import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { AwsClientOptions } from '@rolecall/shared/aws';
import type { RolecallConfig } from '@rolecall/shared/config';
import { crawlerOperations, type StartCrawlRequest } from '@rolecall/shared/contracts';
import type { Logger } from '@rolecall/shared/log';
import type { RunningService } from '@rolecall/shared/runtime';
import { serve, type ServedEndpoints } from '@rolecall/shared/nats';
import { createConfigCrawler } from './adapters/config-crawler.js';
import { createCurrentAccountSource } from './adapters/current-account-source.js';
import { createIamCrawler } from './adapters/iam-crawler.js';
import { createJobConsumer } from './adapters/jetstream-job-consumer.js';
import { createJetStreamJobQueue } from './adapters/jetstream-job-queue.js';
import { createJetStreamResultPublisher } from './adapters/jetstream-result-publisher.js';
import { createKvJobLeases } from './adapters/kv-job-leases.js';
import { createKvScheduleClaims } from './adapters/kv-schedule-claims.js';
import { createOrganizationsAccountSource } from './adapters/organizations-account-source.js';
import { createS3Crawler } from './adapters/s3-crawler.js';
import { createSnsCrawler } from './adapters/sns-crawler.js';
import { createSpokeAccess, type SpokeAccess } from './adapters/spoke-access.js';
import { createSqsCrawler } from './adapters/sqs-crawler.js';
import { createStaticAccountSource } from './adapters/static-account-source.js';
import { createAccountDiscovery } from './domain/accounts.js';
import { enabledCrawlTypes } from './domain/crawl-types.js';
import { createCrawlPlanner } from './domain/plan-crawl.js';
import type { AccountSource, Crawlers, JobConsumer } from './domain/ports.js';
import type { ScheduleName } from './domain/schedule.js';
import { createRunCrawlJobHandler } from './handlers/run-crawl-job.js';
import { createScheduledFanOut } from './handlers/scheduled-fan-out.js';
import { createStartCrawlHandler } from './handlers/start-crawl.js';
import { withJobLease } from './handlers/with-job-lease.js';

/**
 * How long a crawl job's lease outlives its last renewal (renewed every quarter of it). A crawler that
 * dies holds its jobs this long before another takes them; a crawler cut off from NATS this long loses them.
 */
export const JOB_LEASE_TTL_MS = 6_000;

export interface CrawlerServiceOptions {
  config: RolecallConfig;
  nc: NatsConnection;
  log: Logger;
  /**
   * How to reach AWS as this process: region, endpoint (moto) and the process's own credentials
   * (undefined = the SDK's default chain). `config.aws.hubRoleArn`, when set, is assumed from these.
   */
  aws: AwsClientOptions;
  /** Names this process in every envelope's `source`. */
  instance?: string;
  /** How often the schedule is checked. */
  scheduleTickMs?: number;
  /** MaxItems for GetAccountAuthorizationDetails (AWS default when unset). */
  iamPageSize?: number;
  /** Replaces where accounts come from (tests that need a list the config cannot express). */
  accountSource?: AccountSource;
}

/** `stop` stops the schedule, the request endpoint and the job workers; running jobs go back to the queue. */
export interface CrawlerService extends RunningService {
  startCrawl(request: StartCrawlRequest): ReturnType<ReturnType<typeof createStartCrawlHandler>>;
}

export function buildCrawlerService(options: CrawlerServiceOptions): CrawlerService {
  const { config, nc, log } = options;
  const instance = options.instance ?? 'crawler';
  const js = jetstream(nc);
  const access = createSpokeAccess({
    aws: options.aws,
    hubRoleArn: config.aws.hubRoleArn,
    spokeRoleName: config.aws.spokeRoleName,
    spokeExternalId: config.aws.spokeExternalId,
    sessionName: config.aws.spokeSessionName,
  });
  const crawlers: Crawlers = {
    iam: createIamCrawler({ access, pageSize: options.iamPageSize }),
    s3: createS3Crawler({ access }),
    sqs: createSqsCrawler({ access, regions: config.aws.regions }),
    sns: createSnsCrawler({ access, regions: config.aws.regions }),
    config: createConfigCrawler({
      access,
      regions: config.aws.regions,
      resourceTypes: config.crawl.awsConfig.resourceTypes,
      useSelect: config.crawl.awsConfig.useSelect,
      log: log.child({ crawler: 'config' }),
    }),
  };
  const publisher = createJetStreamResultPublisher({ js, source: instance });
  const discovery = createAccountDiscovery({
    source:
      options.accountSource ??
      chooseAccountSource({ accounts: config.accounts, spokeRoleName: config.aws.spokeRoleName, access }),
    publisher,
  });
  const enabledTypes = enabledCrawlTypes(config);
  const claims = createKvScheduleClaims({ js, owner: instance, replicas: config.nats.streamReplicas });
  const leases = createKvJobLeases({
    js,
    owner: instance,
    ttlMs: JOB_LEASE_TTL_MS,
    replicas: config.nats.streamReplicas,
  });
  const intervals: Partial<Record<ScheduleName, number>> = {
    discovery: config.accounts.discoveryIntervalSeconds,
  };
  for (const type of enabledTypes) intervals[type] = config.crawl.intervals[type];

  let planner: ReturnType<typeof createCrawlPlanner> | undefined;
  let consumer: JobConsumer | undefined;
  let endpoint: ServedEndpoints | undefined;
  let timer: NodeJS.Timeout | undefined;
  let fanOut: ReturnType<typeof createScheduledFanOut> | undefined;
  let ticking: Promise<unknown> = Promise.resolve();

  const requirePlanner = () => {
    if (!planner) throw new Error('crawler service not started');
    return planner;
  };

  return {
    async start() {
      const jsm = await jetstreamManager(nc);
      planner = createCrawlPlanner({
        discovery,
        queue: createJetStreamJobQueue({ js, jsm, source: instance }),
        enabledTypes,
      });
      consumer = createJobConsumer({
        js,
        jsm,
        concurrency: config.crawl.concurrency,
        log,
        handle: withJobLease(
          createRunCrawlJobHandler({
            crawlers,
            publisher,
            batchSize: config.crawl.batchSize,
            jobTimeoutMs: config.crawl.jobTimeoutSeconds * 1000,
            log,
          }),
          { leases, ttlMs: JOB_LEASE_TTL_MS, log },
        ),
      });
      await consumer.start();
      const handleStart = createStartCrawlHandler({ planner });
      endpoint = await serve(nc, { version: '0.1.0', log }, crawlerOperations, { startCrawl: handleStart });
      if (config.crawl.scheduleEnabled) {
        fanOut = createScheduledFanOut({ claims, planner, discovery, intervals, log });
        const tick = () => {
          ticking = fanOut!.tick(Date.now()).catch((error: unknown) => {
            log.error({ err: error }, 'schedule tick failed');
          });
        };
        tick();
        timer = setInterval(tick, options.scheduleTickMs ?? 5000);
      }
      log.info({ instance, types: enabledTypes, schedule: config.crawl.scheduleEnabled }, 'crawler started');
    },
    async stop() {
      if (timer) clearInterval(timer);
      await ticking;
      await endpoint?.stop();
      await consumer?.stop();
      log.info({ instance }, 'crawler stopped');
    },
    startCrawl: (request) => createStartCrawlHandler({ planner: requirePlanner() })(request),
  };
}

/** The account source `accounts.source` names in the configuration. */
function chooseAccountSource(options: {
  accounts: RolecallConfig['accounts'];
  spokeRoleName: string;
  access: SpokeAccess;
}): AccountSource {
  switch (options.accounts.source) {
    case 'static':
      return createStaticAccountSource({ accounts: options.accounts.static });
    case 'organizations':
      return createOrganizationsAccountSource({
        access: options.access,
        managementAccountId: options.accounts.organizations.managementAccountId,
        roleName: options.accounts.organizations.roleName ?? options.spokeRoleName,
      });
    case 'current':
      return createCurrentAccountSource({ access: options.access });
  }
}
