import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { STSClient } from '@aws-sdk/client-sts';
import { assumeRole, awsClientConfig, ensureAllTables } from '@rolecall/shared/aws';
import { parseConfig, type RolecallConfig } from '@rolecall/shared/config';
import { silentLogger } from '@rolecall/shared/log';
import { STREAMS, connectNats, ensureAllStreams } from '@rolecall/shared/nats';
import { createRedis, redisKeys, type Redis } from '@rolecall/shared/redis';
import { createRedisCacheReader, type RedisCacheReader } from '@rolecall/cache/reader';
import {
  MOTO_CREDENTIALS,
  seedDemoOrganization,
  startTestEnvironment,
  type DemoOrganization,
  type TestEnvironment,
} from '@rolecall/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCacheService, type CacheService } from '../../cache/src/service.js';
import { buildCrawlerService, type CrawlerService } from '../../crawler/src/service.js';
import { createAwsChangeWriter } from '../src/adapters/aws-change-writer.js';
import { createNatsRecrawler, crawlTypeOfArn, type Recrawler } from '../src/adapters/recrawl.js';
import { createSpokeClients, type SpokeClients } from '../src/adapters/spoke-clients.js';
import { REGION } from './harness.js';

let env: TestEnvironment;
let org: DemoOrganization;
let prod: string;
let config: RolecallConfig;
let nc: NatsConnection;
let redis: Redis;
let dynamo: DynamoDBClient;
let s3: S3Client;
let cache: CacheService;
let crawler: CrawlerService;
let spokes: SpokeClients;
let recrawler: Recrawler;
let reader: RedisCacheReader;
const stops: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  env = await startTestEnvironment();
  org = await seedDemoOrganization({
    endpointUrl: env.moto.url,
    memberAccountNames: ['prod'],
    withResources: false,
  });
  prod = org.accounts.find((a) => a.name === 'prod')?.id ?? '';
  config = parseConfig({
    environment: 'test',
    aws: {
      region: REGION,
      regions: [REGION],
      endpointUrl: env.moto.url,
      hubRoleArn: org.hubRoleArn,
      spokeRoleName: org.spokeRoleName,
    },
    nats: { url: env.nats.url },
    redis: { url: env.redis.url, keyPrefix: 'rq:' },
    dynamodb: { tablePrefix: 'rq_' },
    s3: { bucket: 'rq-snapshots' },
    accounts: { source: 'static', static: [{ id: prod, name: 'prod' }] },
    crawl: { scheduleEnabled: false, awsConfig: { enabled: false } },
  });
  const aws = { region: REGION, endpointUrl: env.moto.url, credentials: MOTO_CREDENTIALS };
  const log = silentLogger();
  nc = await connectNats({ url: env.nats.url, name: 'requests-test', log });
  await ensureAllStreams(await jetstreamManager(nc));
  dynamo = new DynamoDBClient(awsClientConfig('dynamodb', aws));
  s3 = new S3Client(awsClientConfig('s3', aws));
  await ensureAllTables(dynamo, config.dynamodb.tablePrefix);

  // The real cache and crawler, each on a connection of its own as their processes would be.
  const cacheNc = await connectNats({ url: env.nats.url, name: 'cache', log });
  const cacheRedis = createRedis(env.redis.url, 'cache');
  cache = buildCacheService({
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
  crawler = buildCrawlerService({ config, nc: crawlerNc, log, aws, instance: 'crawler' });
  await crawler.start();
  stops.push(async () => {
    await crawler.stop();
    await crawlerNc.drain();
  });

  spokes = createSpokeClients({
    aws,
    hubRoleArn: org.hubRoleArn,
    spokeRoleName: org.spokeRoleName,
    sessionName: 'rolecall-requests-test',
  });
  recrawler = createNatsRecrawler({ nc, source: 'requests-test' });
  redis = createRedis(env.redis.url, 'requests-test');
  reader = createRedisCacheReader({ redis, keys: redisKeys(config.redis.keyPrefix), log });
});

afterAll(async () => {
  for (const stop of stops.reverse()) await stop();
  spokes?.destroy();
  await nc?.drain();
  redis?.disconnect();
  dynamo?.destroy();
  s3?.destroy();
  await env?.stop();
});

async function waitFor<T>(probe: () => Promise<T | undefined | false>, what: string): Promise<T> {
  for (let attempt = 0; attempt < 600; attempt += 1) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe('recrawling what a change touched', () => {
  it('names the crawl that covers an ARN', () => {
    expect(crawlTypeOfArn('arn:aws:iam::111111111111:role/app')).toBe('iam');
    expect(crawlTypeOfArn('arn:aws:s3:::bucket')).toBe('s3');
    expect(crawlTypeOfArn('arn:aws:sqs:us-east-1:111111111111:q')).toBe('sqs');
    expect(crawlTypeOfArn('arn:aws:sns:us-east-1:111111111111:t')).toBe('sns');
    expect(() => crawlTypeOfArn('arn:aws:ec2:us-east-1:111111111111:instance/i-1')).toThrow(
      /no crawl covers/,
    );
  });

  it('has the cache show a change to a role and to a bucket after one recrawl, not a scheduled crawl', async () => {
    const writer = createAwsChangeWriter({ spokes });
    const roleArn = `arn:aws:iam::${prod}:role/${org.spokeRoleName}`;
    const bucket = `recrawl-${prod}`;
    const admin = await assumeRole(
      new STSClient(
        awsClientConfig('sts', { region: REGION, endpointUrl: env.moto.url, credentials: MOTO_CREDENTIALS }),
      ),
      { roleArn: `arn:aws:iam::${prod}:role/OrganizationAccountAccessRole`, sessionName: 'recrawl-test' },
    );
    const inProd = new S3Client(
      awsClientConfig('s3', { region: REGION, endpointUrl: env.moto.url, credentials: admin }),
    );
    await inProd.send(new CreateBucketCommand({ Bucket: bucket }));
    inProd.destroy();

    // Nothing is crawled yet (the schedule is off): a first recrawl fills the cache.
    const targets = [
      { arn: roleArn, accountId: prod },
      { arn: `arn:aws:s3:::${bucket}`, accountId: prod },
    ];
    const first = await recrawler.recrawl(targets, 'rolecall-requests');
    expect(first.flatMap((reply) => reply.jobs.map((j) => `${j.crawlType}:${j.accountId}`)).sort()).toEqual([
      `iam:${prod}`,
      `s3:${prod}`,
    ]);
    await waitFor(async () => (await reader.getItem(`arn:aws:s3:::${bucket}`)) !== undefined, 'the bucket');
    await waitFor(async () => (await reader.getItem(roleArn)) !== undefined, 'the role');
    // A job still waiting or running would take the next request as covered (already_queued) though it
    // may have read AWS before the write: the write comes once the work queue is empty.
    const jsm = await jetstreamManager(nc);
    await waitFor(
      async () => (await jsm.streams.info(STREAMS.crawlJobs.name)).state.messages === 0,
      'the first crawl jobs to end',
    );

    const policy = {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'RolecallRecrawlC0S0',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${org.managementAccountId}:root` },
          Action: 's3:GetObject',
          Resource: `arn:aws:s3:::${bucket}/*`,
        },
      ],
    };
    await writer.write({ op: 'tag', arn: roleArn, key: 'requested-by', value: 'alice' }, prod);
    await writer.write(
      {
        op: 'put_resource_policy',
        resourceArn: `arn:aws:s3:::${bucket}`,
        resourceType: 's3_bucket',
        document: policy,
      },
      prod,
    );
    const second = await recrawler.recrawl(targets, 'rolecall-requests');
    expect(second.flatMap((reply) => reply.jobs.map((j) => j.state))).toEqual(['queued', 'queued']);

    const role = await waitFor(async () => {
      const item = await reader.getItem(roleArn);
      return item?.tags['requested-by'] === 'alice' ? item : undefined;
    }, 'the role with its new tag');
    expect(role.tags).toMatchObject({ 'requested-by': 'alice' });
    const cachedBucket = await waitFor(async () => {
      const item = await reader.getItem(`arn:aws:s3:::${bucket}`);
      return item?.itemType === 's3_bucket' && item.details.policy ? item : undefined;
    }, 'the bucket with its new policy');
    expect(cachedBucket.itemType === 's3_bucket' && cachedBucket.details.policy).toEqual(policy);
  });
});
