import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { parseConfig, type RolecallConfig } from '@rolecall/shared/config';
import {
  CrawlJobQueued,
  crawlerOperations,
  crawlerStreams,
  crawlerSubjects,
  type AccountsDiscovery,
  type CrawlCompletion,
  type CrawledItem,
  type ResourceBatch,
  type RoleDetails,
} from '@rolecall/shared/contracts';
import { AppError } from '@rolecall/shared/errors';
import { createLogger } from '@rolecall/shared/log';
import { connectNats, deadLetterStream, ensureStreams, request, STREAMS } from '@rolecall/shared/nats';
import { MOTO_DEFAULT_ACCOUNT, startTestEnvironment, type TestEnvironment } from '@rolecall/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJetStreamJobQueue } from '../src/adapters/jetstream-job-queue.js';
import type { CrawlerService } from '../src/service.js';
import { buildTestCrawler } from './crawler-under-test.js';
import { collectResults, logLines } from './results.js';
import {
  createSpokeRole,
  inAccount,
  INLINE,
  seedOrganization,
  seedResources,
  startConfigRecorder,
  TRUST,
} from './seed.js';

let env: TestEnvironment;
let nc: NatsConnection;
let jsm: JetStreamManager;
let config: RolecallConfig;
let accounts: Record<'dev' | 'prod' | 'sandbox', string>;
let seeded: Awaited<ReturnType<typeof seedResources>>;
let results: Awaited<ReturnType<typeof collectResults>>;
const services: CrawlerService[] = [];
const logs = logLines();

beforeAll(async () => {
  env = await startTestEnvironment();
  const log = createLogger({ service: 'crawler-test', level: 'info', destination: logs.destination });
  nc = await connectNats({ url: env.nats.url, name: 'crawler-test', log });
  jsm = await jetstreamManager(nc);
  await ensureStreams(jsm, [...Object.values(crawlerStreams), deadLetterStream]);

  accounts = await seedOrganization(env.moto.url);
  for (const id of [MOTO_DEFAULT_ACCOUNT, accounts.dev, accounts.prod]) {
    await createSpokeRole(await inAccount(env.moto.url, id));
  }
  // sandbox deliberately has no spoke role.
  const dev = await inAccount(env.moto.url, accounts.dev);
  seeded = await seedResources(dev, accounts.dev, 'dev', 5);
  await startConfigRecorder(dev, accounts.dev);
  await seedResources(await inAccount(env.moto.url, accounts.prod), accounts.prod, 'prod', 2);

  config = parseConfig({
    environment: 'test',
    aws: { endpointUrl: env.moto.url, regions: ['us-east-1'] },
    accounts: {
      source: 'organizations',
      organizations: { managementAccountId: MOTO_DEFAULT_ACCOUNT, roleName: 'OrgReader' },
    },
    crawl: {
      scheduleEnabled: false,
      concurrency: 2,
      batchSize: 3,
      jobTimeoutSeconds: 30,
      // moto serialises S3 and IAM configuration items with text timestamps the SDK rejects; SNS's are valid.
      awsConfig: { resourceTypes: ['AWS::SNS::Topic'] },
    },
  });
  results = await collectResults(jetstream(nc));
});

afterAll(async () => {
  for (const service of services) await service.stop();
  await results?.stop();
  await nc?.drain();
  await env?.stop();
});

const startService = async (instance: string) => {
  const service = buildTestCrawler(config, nc, { instance, motoUrl: env.moto.url, logs });
  await service.start();
  services.push(service);
  return service;
};

const jobsLastSeq = async () => (await jsm.streams.info(STREAMS.crawlJobs.name)).state.last_seq;

describe('crawler against an organization in moto', () => {
  it('reports a job already waiting for the same account and type instead of queueing a second', async () => {
    const queue = createJetStreamJobQueue({ js: jetstream(nc), jsm, source: 'test' });
    const job = {
      crawlId: 'c1',
      accountId: accounts.dev,
      accountName: 'dev',
      crawlType: 'iam' as const,
      trigger: 'demand' as const,
      requestedBy: 'test',
      queuedAt: new Date().toISOString(),
    };
    const first = await queue.enqueue({ ...job, jobId: 'job-first' });
    const second = await queue.enqueue({ ...job, jobId: 'job-second' });
    const otherType = await queue.enqueue({ ...job, jobId: 'job-s3', crawlType: 's3' });
    expect(first).toEqual({ state: 'queued', jobId: 'job-first' });
    expect(second).toEqual({ state: 'already_queued', jobId: 'job-first' });
    expect(otherType).toEqual({ state: 'queued', jobId: 'job-s3' });
    const waiting = await jsm.streams.getMessage(STREAMS.crawlJobs.name, {
      last_by_subj: crawlerSubjects.jobQueued('iam', accounts.dev),
    });
    expect(CrawlJobQueued.unwrap(JSON.parse(new TextDecoder().decode(waiting!.data))).data.jobId).toBe(
      'job-first',
    );
    await jsm.streams.purge(STREAMS.crawlJobs.name);
  });

  it('crawls every account across two crawlers, reporting the account without a spoke role as failed', async () => {
    await startService('crawler-a');
    await startService('crawler-b');

    const reply = await request(
      nc,
      crawlerOperations.startCrawl,
      { requestedBy: 'admin@example.com' },
      { source: 'test', timeoutMs: 30_000 },
    );
    const allAccounts = [MOTO_DEFAULT_ACCOUNT, accounts.dev, accounts.prod, accounts.sandbox].sort();
    expect(reply.jobs).toHaveLength(4 * 5);
    expect(new Set(reply.jobs.map((j) => j.accountId))).toEqual(new Set(allAccounts));
    expect(reply.jobs.every((j) => j.state === 'queued')).toBe(true);

    const jobIds = new Set(reply.jobs.map((j) => j.jobId));
    const completions = () =>
      results
        .byType('crawler.result.completed')
        .map((m) => m.envelope.data as unknown as CrawlCompletion)
        .filter((c) => jobIds.has(c.jobId));
    await results.waitFor(() => completions().length === jobIds.size, 'every job to complete');

    // Discovery went through the Organizations role and kept names, status and emails.
    const discovery = results.byType('crawler.result.accounts.discovered').at(-1)!.envelope
      .data as unknown as AccountsDiscovery;
    expect(discovery.source).toBe('organizations');
    expect(discovery.accounts.map((a) => a.id)).toEqual(allAccounts);
    expect(discovery.accounts.find((a) => a.id === accounts.dev)).toMatchObject({
      name: 'dev',
      status: 'ACTIVE',
      email: 'dev@example.com',
    });

    // The sandbox account fails for every type with the spoke role named; nobody else fails.
    for (const completion of completions()) {
      if (completion.accountId === accounts.sandbox) {
        expect(completion.status).toBe('failed');
        expect(completion.error?.code).toBe('SPOKE_ROLE_UNAVAILABLE');
        expect(completion.error?.message).toContain(`arn:aws:iam::${accounts.sandbox}:role/RolecallSpoke`);
      } else {
        expect(
          completion,
          `${completion.crawlType} ${completion.accountId} ${JSON.stringify(completion.error)}`,
        ).toMatchObject({ status: 'succeeded' });
      }
    }

    // Batches arrive in order, each at most batchSize, and add up to what the completion says.
    const batches = results
      .byType('crawler.result.batch')
      .map((m) => m.envelope.data as unknown as ResourceBatch)
      .filter((b) => jobIds.has(b.jobId));
    for (const completion of completions()) {
      const own = batches.filter((b) => b.jobId === completion.jobId);
      expect(own.map((b) => b.seq)).toEqual([...own.keys()]);
      expect(own.length).toBe(completion.batchCount);
      expect(own.reduce((n, b) => n + b.items.length, 0)).toBe(completion.itemCount);
      expect(own.every((b) => b.items.length <= 3)).toBe(true);
    }
    const items = batches.flatMap((b) => b.items);
    const item = (arn: string) => items.find((i) => i.arn === arn);

    // IAM: the dev account's roles with trust policy, inline + managed policies, boundary and tags.
    const devRoles = items.filter((i) => i.itemType === 'iam_role' && i.accountId === accounts.dev);
    // moto adds OrganizationAccountAccessRole to every member account, as AWS does.
    expect(devRoles.map((r) => r.name).sort()).toEqual(
      [
        'OrganizationAccountAccessRole',
        'RolecallSpoke',
        'dev-role-0',
        'dev-role-1',
        'dev-role-2',
        'dev-role-3',
        'dev-role-4',
      ].sort(),
    );
    const role0 = item(`arn:aws:iam::${accounts.dev}:role/dev-role-0`) as CrawledItem;
    const details = role0.details as unknown as RoleDetails;
    expect(role0.tags).toEqual({ 'consoleme-authorized': 'user0@example.com', team: 'dev' });
    expect(role0.region).toBe('global');
    expect(details.assumeRolePolicyDocument).toEqual(TRUST);
    expect(details.inlinePolicies).toEqual([{ name: 'inline', document: INLINE }]);
    expect(details.managedPolicies).toEqual([{ name: 'dev-managed', arn: seeded.policyArn }]);
    expect(details.permissionsBoundary?.arn).toBe(seeded.policyArn);
    const managed = item(seeded.policyArn)!;
    expect(managed.itemType).toBe('managed_policy');
    expect(managed.details).toMatchObject({ document: INLINE, attachmentCount: 5 });
    expect(
      items
        .filter((i) => i.itemType === 'iam_role' && i.accountId === accounts.prod)
        .map((i) => i.name)
        .sort(),
    ).toEqual(['OrganizationAccountAccessRole', 'RolecallSpoke', 'prod-role-0', 'prod-role-1']);

    // S3, SQS and SNS with parsed policies and tags.
    const bucket = item(`arn:aws:s3:::${seeded.bucket}`)!;
    expect(bucket).toMatchObject({
      itemType: 's3_bucket',
      accountId: accounts.dev,
      region: 'us-east-1',
      tags: { team: 'dev' },
    });
    expect((bucket.details.policy as { Statement: { Action: string }[] }).Statement[0]!.Action).toBe(
      's3:GetObject',
    );
    const queue = item(seeded.queueArn)!;
    expect(queue).toMatchObject({ itemType: 'sqs_queue', name: 'dev-queue', tags: { team: 'dev' } });
    expect((queue.details.policy as { Statement: { Action: string }[] }).Statement[0]!.Action).toBe(
      'sqs:SendMessage',
    );
    const topic = item(seeded.topicArn)!;
    expect(topic).toMatchObject({ itemType: 'sns_topic', name: 'dev-topic', tags: { team: 'dev' } });
    expect((topic.details.policy as { Statement: { Action: string }[] }).Statement[0]!.Action).toBe(
      'sns:Publish',
    );

    // AWS Config: only dev records; the fallback found its topic there, other accounts yield nothing.
    const configItems = items.filter((i) => i.itemType === 'config_resource');
    expect(configItems.map((i) => [i.accountId, i.arn, i.details.resourceType])).toEqual([
      [accounts.dev, seeded.topicArn, 'AWS::SNS::Topic'],
    ]);
    expect(configItems[0]!.details.configuration).toMatchObject({ topicArn: seeded.topicArn });
    expect(
      logs.lines.filter((l) => String(l.msg).startsWith('SelectResourceConfig unsupported')).length,
    ).toBeGreaterThan(0);

    // Both crawlers did some of the work, and each job started exactly once.
    const started = results
      .byType('crawler.result.started')
      .filter((m) => jobIds.has((m.envelope.data as { jobId: string }).jobId));
    expect(started).toHaveLength(jobIds.size);
    expect(new Set(started.map((m) => m.envelope.source))).toEqual(new Set(['crawler-a', 'crawler-b']));

    // For every (type, account), the stream never shows a second start before the first completion.
    const lifecycle = new Map<string, string[]>();
    for (const m of results.messages) {
      const data = m.envelope.data as { crawlType?: string; accountId?: string };
      if (!data.crawlType || m.envelope.type === 'crawler.result.batch') continue;
      const key = `${data.crawlType}.${data.accountId}`;
      lifecycle.set(key, [...(lifecycle.get(key) ?? []), m.envelope.type]);
    }
    for (const events of lifecycle.values()) {
      events.forEach((type, index) =>
        expect(type).toBe(index % 2 === 0 ? 'crawler.result.started' : 'crawler.result.completed'),
      );
    }
  });

  it('refuses an on-demand crawl naming an unknown account and enqueues nothing', async () => {
    const before = await jobsLastSeq();
    const attempt = request(
      nc,
      crawlerOperations.startCrawl,
      { requestedBy: 'admin@example.com', accountIds: [accounts.dev, '999999999999'] },
      { source: 'test', timeoutMs: 30_000 },
    );
    await expect(attempt).rejects.toBeInstanceOf(AppError);
    await expect(attempt).rejects.toMatchObject({ code: 'UNKNOWN_ACCOUNT' });
    await expect(attempt).rejects.toThrow(/999999999999/);
    expect(await jobsLastSeq()).toBe(before);
  });

  it('crawls only the requested accounts and types on demand', async () => {
    const reply = await request(
      nc,
      crawlerOperations.startCrawl,
      { requestedBy: 'admin@example.com', accountIds: [accounts.prod], crawlTypes: ['sqs'] },
      { source: 'test', timeoutMs: 30_000 },
    );
    expect(reply.jobs.map(({ jobId: _, ...job }) => job)).toEqual([
      { accountId: accounts.prod, crawlType: 'sqs', state: 'queued' },
    ]);
    const jobId = reply.jobs[0]!.jobId;
    await results.waitFor(
      () =>
        results
          .byType('crawler.result.completed')
          .some((m) => (m.envelope.data as { jobId: string }).jobId === jobId),
      'the prod sqs job',
    );
    const batch = results
      .byType('crawler.result.batch')
      .map((m) => m.envelope.data as unknown as ResourceBatch)
      .find((b) => b.jobId === jobId)!;
    expect(batch.items.map((i) => i.arn)).toEqual([`arn:aws:sqs:us-east-1:${accounts.prod}:prod-queue`]);
  });
});
