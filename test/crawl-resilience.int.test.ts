import { paginateListRoles } from '@aws-sdk/client-iam';
import { AckPolicy, DeliverPolicy, connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CrawlStarted } from '@rolecall/shared/contracts';
import { decode } from '@rolecall/shared/nats';
import { seedDemoOrganization } from '@rolecall/shared/testing';
import { iamIn } from './support/aws.js';
import { collectChanges } from './support/changes.js';
import { refresh, waitForCrawl } from './support/crawls.js';
import { eventually, startStack, type Stack } from './support/stack.js';

describe('a cache service killed in the middle of a crawl', () => {
  let stack: Stack;
  let nc: NatsConnection;
  let account: { id: string; name: string };

  beforeAll(async () => {
    // Small batches and many roles, so the crawl is still being cached when the cache dies.
    stack = await startStack({ config: { crawl: { batchSize: 5 } } });
    const org = await seedDemoOrganization({
      endpointUrl: stack.env.moto.url,
      region: 'us-east-1',
      memberAccountNames: ['big'],
      rolesPerAccount: 600,
      withResources: false,
    });
    account = org.accounts.find((a) => a.name === 'big')!;
    nc = await connect({ servers: stack.env.nats.url });
  });
  afterAll(async () => {
    await nc?.close();
    await stack?.stop();
  });

  it('loses nothing and publishes each change exactly once after a new cache process takes over', async () => {
    const events = await collectChanges(nc, `cache.resource.changed.iam_role.${account.id}`);
    const requestedAt = new Date().toISOString();
    const crawl = await refresh(stack, { accountIds: [account.id], resourceTypes: ['iam'] });

    await eventually(
      () => (events.changes.length >= 10 ? true : undefined),
      () => 'no events before the kill',
    );
    const cache = stack.services.find((s) => s.name === 'cache')!;
    await cache.kill();
    const eventsAtKill = events.changes.length;
    stack.services.splice(stack.services.indexOf(cache), 1);
    await stack.start('cache');

    await waitForCrawl(stack, crawl, requestedAt);
    const iam = await iamIn(stack.env.moto.url, account.id);
    const expected: string[] = [];
    for await (const page of paginateListRoles({ client: iam }, {}))
      expected.push(...page.Roles!.map((r) => r.Arn!));
    expect(expected.length).toBeGreaterThan(600);
    expect(eventsAtKill, 'the kill must happen mid-crawl for this test to mean anything').toBeLessThan(
      expected.length,
    );

    const cached = (await (
      await stack.api(`/api/v3/resources?type=iam_role&account=${account.id}&limit=500`)
    ).json()) as { data: { arn: string }[]; nextCursor: string | null };
    const arns = [...cached.data.map((r) => r.arn)];
    let cursor = cached.nextCursor;
    while (cursor) {
      const page = (await (
        await stack.api(`/api/v3/resources?type=iam_role&account=${account.id}&limit=500&cursor=${cursor}`)
      ).json()) as { data: { arn: string }[]; nextCursor: string | null };
      arns.push(...page.data.map((r) => r.arn));
      cursor = page.nextCursor;
    }
    expect(arns.sort()).toEqual([...expected].sort());

    await eventually(
      () => (events.changes.length >= expected.length ? true : undefined),
      () => `${events.changes.length} events`,
    );
    await new Promise((r) => setTimeout(r, 1000));
    const perArn = new Map<string, number>();
    for (const change of events.changes) perArn.set(change.arn, (perArn.get(change.arn) ?? 0) + 1);
    expect([...perArn.values()].every((n) => n === 1)).toBe(true);
    expect(perArn.size).toBe(expected.length);
    expect(events.changes.every((c) => c.change === 'created')).toBe(true);
    await events.stop();
  });
});

describe('two crawler processes', () => {
  let stack: Stack;
  let nc: NatsConnection;

  beforeAll(async () => {
    stack = await startStack({ services: ['cache', 'crawler', 'gateway'] });
    await stack.start('crawler', 'crawler-2');
    await seedDemoOrganization({ endpointUrl: stack.env.moto.url, region: 'us-east-1' });
    nc = await connect({ servers: stack.env.nats.url });
  });
  afterAll(async () => {
    await nc?.close();
    await stack?.stop();
  });

  it('share the jobs, and no account and type is ever crawled twice at once', async () => {
    const requestedAt = new Date().toISOString();
    const crawl = await refresh(stack);
    // Asking again while the first crawl runs is coalesced into the waiting or running jobs.
    const again = await refresh(stack);
    await waitForCrawl(stack, crawl, requestedAt);
    await waitForCrawl(stack, again, requestedAt);

    const jsm = await nc.jetstreamManager();
    const name = `starts-${Date.now()}`;
    await jsm.consumers.add('CRAWL_RESULTS', {
      name,
      ack_policy: AckPolicy.None,
      deliver_policy: DeliverPolicy.All,
      filter_subject: 'crawler.result.started.>',
    });
    const consumer = await nc.jetstream().consumers.get('CRAWL_RESULTS', name);
    const starts: { jobId: string; accountId: string; crawlType: string; source: string }[] = [];
    const info = await consumer.info();
    const messages = await consumer.fetch({ max_messages: info.num_pending, expires: 5000 });
    for await (const msg of messages) {
      const envelope = CrawlStarted.unwrap(decode(msg.data));
      starts.push({ ...envelope.data, source: envelope.source });
    }

    const jobIds = new Set(crawl.jobs.map((j) => j.jobId).concat(again.jobs.map((j) => j.jobId)));
    const startsOfTheseJobs = starts.filter((s) => jobIds.has(s.jobId));
    const perJob = new Map<string, number>();
    for (const s of startsOfTheseJobs) perJob.set(s.jobId, (perJob.get(s.jobId) ?? 0) + 1);
    expect(
      [...perJob.values()].every((n) => n === 1),
      JSON.stringify([...perJob]),
    ).toBe(true);
    expect(perJob.size).toBeGreaterThanOrEqual(crawl.jobs.length);

    const bothWorked = stack.services
      .filter((s) => s.name.startsWith('crawler'))
      .map((s) => crawl.jobs.some((j) => s.output().includes(j.jobId)));
    expect(bothWorked).toEqual([true, true]);
  });
});
