import { connect, type NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { paginateListRoles } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CrawlCompleted, CrawlStarted, crawlerSubjects } from '@rolecall/shared/contracts';
import { DEAD_LETTER_HEADERS, deadLetterSubjects, decode, STREAMS } from '@rolecall/shared/nats';
import { seedDemoOrganization } from '@rolecall/testing';
import { iamIn } from './support/aws.js';
import { collectChanges } from './support/changes.js';
import { refresh, waitForCrawl } from './support/crawls.js';
import { eventually, startStack, type Stack } from './support/stack.js';

/** The bound: a crawl whose cache or crawler died goes on within 10 s of a process taking over. */
const RESUME_WITHIN_MS = 10_000;

/** Every start and completion the crawlers publish for one account's IAM crawls, with who published it. */
function watchCrawls(nc: NatsConnection, accountId: string) {
  const starts: { jobId: string; startedAt: string; source: string; at: number }[] = [];
  const completions: { jobId: string; startedAt: string; source: string; at: number }[] = [];
  const started = nc.subscribe(crawlerSubjects.started('iam', accountId), {
    callback: (_error, msg) => {
      const envelope = CrawlStarted.unwrap(decode(msg.data));
      starts.push({ ...envelope.data, source: envelope.source, at: Date.now() });
    },
  });
  const completed = nc.subscribe(crawlerSubjects.completed('iam', accountId), {
    callback: (_error, msg) => {
      const envelope = CrawlCompleted.unwrap(decode(msg.data));
      completions.push({ ...envelope.data, source: envelope.source, at: Date.now() });
    },
  });
  return {
    starts,
    completions,
    stop() {
      started.unsubscribe();
      completed.unsubscribe();
    },
  };
}

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

  it('resumes within 10 s of a new cache process starting, loses nothing and publishes each change once', async () => {
    const events = await collectChanges(nc, `cache.resource.changed.iam_role.${account.id}`);
    const crawls = watchCrawls(nc, account.id);
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
    const jsm = await jetstreamManager(nc);
    const atKill = await jsm.consumers.info(STREAMS.crawlResults.name, 'cache');
    expect(atKill.num_ack_pending, 'the killed cache must have held batches').toBeGreaterThan(0);
    // Restart once the crawler has published everything, so what is measured is the cache's own doing.
    await eventually(
      () => (crawls.completions.some((c) => c.jobId === crawl.jobs[0]!.jobId) ? true : undefined),
      () => 'the crawler never published its completion',
    );

    // The crawl has resumed once every message the killed process held is handled: the ack floor passes
    // the last one delivered to it. How long that takes is the consumer's ack wait, not the crawl's size.
    const restartedAt = Date.now();
    await stack.start('cache');
    await eventually(
      async () =>
        (await jsm.consumers.info(STREAMS.crawlResults.name, 'cache')).ack_floor.stream_seq >=
        atKill.delivered.stream_seq
          ? true
          : undefined,
      () => 'the batches the killed cache held were never handled',
    );
    const resumedInMs = Date.now() - restartedAt;
    expect(resumedInMs, `resumed ${resumedInMs} ms after the restart`).toBeLessThan(RESUME_WITHIN_MS);
    await waitForCrawl(stack, crawl, requestedAt);
    crawls.stop();
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

  it('hands a job whose crawler was killed mid-crawl to another crawler within 10 s, and finishes it', async () => {
    await stack.start('crawler', 'crawler-2');
    const crawls = watchCrawls(nc, account.id);
    const requestedAt = new Date().toISOString();
    const crawl = await refresh(stack, { accountIds: [account.id], resourceTypes: ['iam'] });
    const jobId = crawl.jobs[0]!.jobId;

    const first = await eventually(
      () => crawls.starts.find((s) => s.jobId === jobId),
      () => 'the job never started',
    );
    // Each crawler names itself `crawler-<host>-<pid>` in what it publishes.
    const holder = stack.services.find(
      (s) => s.name.startsWith('crawler') && first.source.endsWith(`-${s.child.pid}`),
    )!;
    expect(holder, `no crawler process published as ${first.source}`).toBeDefined();
    await holder.kill();
    const killedAt = Date.now();
    stack.services.splice(stack.services.indexOf(holder), 1);

    const second = await eventually(
      () => crawls.starts.find((s) => s.jobId === jobId && s.source !== first.source),
      () => `the job was not taken over: ${JSON.stringify(crawls.starts)}`,
      60_000,
    );
    const takenOverInMs = second.at - killedAt;
    expect(takenOverInMs, `taken over ${takenOverInMs} ms after the kill`).toBeLessThan(RESUME_WITHIN_MS);

    const [status] = await waitForCrawl(stack, crawl, requestedAt);
    crawls.stop();
    expect(
      crawls.completions.some((c) => c.startedAt === first.startedAt),
      'the kill must happen before the first attempt completes for this test to mean anything',
    ).toBe(false);
    expect(crawls.completions.filter((c) => c.jobId === jobId).map((c) => c.source)).toEqual([second.source]);
    expect(status).toMatchObject({ running: false, lastSuccessCrawlId: crawl.crawlId });
    expect(status!.itemCount).toBeGreaterThan(600);
  });
});

describe('two crawler processes', () => {
  let stack: Stack;
  let nc: NatsConnection;
  let org: Awaited<ReturnType<typeof seedDemoOrganization>>;

  beforeAll(async () => {
    stack = await startStack({ services: ['cache', 'crawler', 'gateway'] });
    await stack.start('crawler', 'crawler-2');
    org = await seedDemoOrganization({ endpointUrl: stack.env.moto.url, region: 'us-east-1' });
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

    const jsm = await jetstreamManager(nc);
    const name = `starts-${Date.now()}`;
    await jsm.consumers.add('CRAWL_RESULTS', {
      name,
      ack_policy: AckPolicy.None,
      deliver_policy: DeliverPolicy.All,
      filter_subject: 'crawler.result.started.>',
    });
    const consumer = await jetstream(nc).consumers.get('CRAWL_RESULTS', name);
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

  it('dead-letter a malformed job at once and free its place in the queue for the next one', async () => {
    const account = org.accounts.find((a) => a.id !== org.managementAccountId)!;
    const subject = crawlerSubjects.jobQueued('s3', account.id);
    await jetstream(nc).publish(subject, new TextEncoder().encode('{"not": "a job"'), { msgID: 'bad-job-1' });

    const jsm = await jetstreamManager(nc);
    const letter = await eventually(
      () =>
        jsm.streams
          .getMessage(STREAMS.deadLetters.name, {
            last_by_subj: deadLetterSubjects.of(STREAMS.crawlJobs.name, 'crawler'),
          })
          .then((found) => found ?? undefined)
          .catch(() => undefined),
      () => 'the malformed job was not dead-lettered',
    );
    expect(new TextDecoder().decode(letter.data)).toBe('{"not": "a job"');
    expect({
      subject: letter.header.get(DEAD_LETTER_HEADERS.subject),
      msgId: letter.header.get(DEAD_LETTER_HEADERS.msgId),
      reason: letter.header.get(DEAD_LETTER_HEADERS.reason),
      deliveries: letter.header.get(DEAD_LETTER_HEADERS.deliveries),
    }).toEqual({ subject, msgId: 'bad-job-1', reason: 'rejected', deliveries: '1' });
    expect(letter.header.get(DEAD_LETTER_HEADERS.error)).toMatch(/^INVALID_MESSAGE: /);
    // Logged (after the dead letter is stored) with its id, never its payload.
    const line = await eventually(
      () =>
        stack.services
          .flatMap((s) => s.output().split('\n'))
          .find((l) => l.includes('"msgId":"bad-job-1"') && l.includes('message dead-lettered')),
      () => 'no log line names the dead-lettered job',
    );
    expect(line).not.toContain('a job');

    // The work queue holds one job per account and type: the dead-lettered one must not keep the place.
    const requestedAt = new Date().toISOString();
    const crawl = await refresh(stack, { accountIds: [account.id], resourceTypes: ['s3'] });
    expect(crawl.jobs).toHaveLength(1);
    const [status] = await waitForCrawl(stack, crawl, requestedAt);
    expect(status).toMatchObject({ running: false, lastSuccessCrawlId: crawl.crawlId });
  });
});
