import { connect, type NatsConnection } from '@nats-io/transport-node';
import { GetRolePolicyCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CrawlCompleted,
  CrawlStarted,
  CredentialsAudited,
  ResourceChanged,
} from '@rolecall/shared/contracts';
import { decode, natsServers } from '@rolecall/shared/nats';
import {
  freePort,
  seedDemoOrganization,
  startCountingProxy,
  type CountingProxy,
  type DemoAccount,
} from '@rolecall/testing';
import { iamIn } from './support/aws.js';
import {
  doubled,
  expectCrawlWhole,
  processOf,
  startCredentialLoad,
  storedChanges,
  storedCrawls,
  storedIssuances,
} from './support/copies.js';
import { refresh, waitForCrawl } from './support/crawls.js';
import { startRoundRobinProxy, type RoundRobinProxy } from './support/round-robin-proxy.js';
import {
  eventually,
  startStack,
  type ServiceName,
  type ServiceProcess,
  type Stack,
} from './support/stack.js';

const ALICE = { user: 'alice@example.com', groups: ['engineering', 'payments'] };
const ADMIN = { user: 'admin@example.com', groups: ['admins'] };
/** Roles per member account: enough that the crawl is still being stored when the copies die. */
const ROLES_PER_ACCOUNT = 250;
/** Policy requests created by alice: enough that both requests copies take some (1 in 2^7 they do not). */
const REQUESTS = 8;

const lines = (service: ServiceProcess, text: string) =>
  service
    .output()
    .split('\n')
    .filter((l) => l.includes(text)).length;

/**
 * Issue 12 §4: 3 crawlers, 2 caches, 2 brokers, 2 requests services and 2 gateways behind one address,
 * on one NATS, one Redis and moto. While credentials are asked for, a full crawl runs and a policy
 * request is approved, one copy of each is SIGKILLed; what each did is counted from the streams, the
 * processes' own logs, moto and the API.
 */
describe('every service run as several copies, one copy of each killed mid-run', () => {
  let stack: Stack;
  let nc: NatsConnection;
  let front: RoundRobinProxy;
  let aws: CountingProxy;
  let prod: DemoAccount;
  let members: DemoAccount[];
  const copies: Record<ServiceName, ServiceProcess[]> = {
    cache: [],
    crawler: [],
    broker: [],
    requests: [],
    gateway: [],
  };

  beforeAll(async () => {
    stack = await startStack({
      services: [],
      config: {
        // Small batches and one job at a time per crawler: the crawl is shared and still in flight at the kill.
        crawl: { batchSize: 5, concurrency: 1 },
        auth: { cliAcceptsTrustedHeaders: true },
        gateway: { rateLimit: { credentialsPerMinute: 100_000 } },
      },
    });
    // The requests copies reach AWS through this proxy, which counts the IAM writes they make.
    aws = await startCountingProxy(stack.env.moto.url);
    const org = await seedDemoOrganization({
      endpointUrl: stack.env.moto.url,
      region: 'us-east-1',
      memberAccountNames: ['prod', 'big-a', 'big-b'],
      rolesPerAccount: ROLES_PER_ACCOUNT,
      withResources: false,
    });
    members = org.accounts.filter((a) => a.id !== org.managementAccountId);
    prod = members.find((a) => a.name === 'prod')!;

    const startCopies = (
      name: ServiceName,
      count: number,
      env: (n: number) => NodeJS.ProcessEnv = () => ({}),
    ) => Promise.all(Array.from({ length: count }, (_, n) => stack.start(name, `${name}-${n + 1}`, env(n))));
    copies.cache = await startCopies('cache', 2);
    copies.crawler = await startCopies('crawler', 3);
    copies.broker = await startCopies('broker', 2);
    copies.requests = await startCopies('requests', 2, () => ({ AWS_ENDPOINT_URL: aws.url }));
    const secondPort = await freePort();
    const gatewayUrls = [stack.gatewayUrl, `http://127.0.0.1:${secondPort}`];
    copies.gateway = await startCopies('gateway', 2, (n) =>
      n === 0 ? {} : { ROLECALL_PORT: String(secondPort) },
    );
    front = await startRoundRobinProxy(gatewayUrls);
    stack.gatewayUrl = front.url;
    nc = await connect({ servers: natsServers(stack.env.nats.url) });

    // The broker grants from cached roles: prod's IAM roles first, so credentials work during the crawl.
    const requestedAt = new Date().toISOString();
    await waitForCrawl(
      stack,
      await refresh(stack, { accountIds: [prod.id], resourceTypes: ['iam'] }),
      requestedAt,
    );
  }, 300_000);
  afterAll(async () => {
    // A copy that died on its own (not killed by the test) is a finding: show why.
    for (const service of stack?.services ?? []) {
      if (service.child.exitCode !== null || (service.child.signalCode ?? 'SIGKILL') !== 'SIGKILL')
        console.log(
          `${service.name} ended (${service.child.exitCode ?? service.child.signalCode}):\n${service.output().slice(-1500)}`,
        );
    }
    await nc?.close();
    await stack?.stop();
    await front?.close();
    await aws?.close();
  });

  it('share the work, do nothing twice, lose nothing and answer every request', async () => {
    // Live views, only to time the kills: the counts below are read from the streams afterwards.
    const running = new Map<string, { source: string; crawlType: string; accountId: string }>();
    // Every attempt at a job, as published. The stream keeps only the first start of a job (its message id
    // is the job's), so a job run again by another crawler shows here, and in its completion's startedAt.
    const attempts: { jobId: string; source: string; startedAt: string }[] = [];
    const changeSources = new Set<string>();
    const issuedBy = new Map<string, number>();
    let liveChanges = 0;
    const subscriptions = [
      nc.subscribe('crawler.result.started.>', {
        callback: (_e, msg) => {
          const { data, source } = CrawlStarted.unwrap(decode(msg.data));
          running.set(data.jobId, { source, crawlType: data.crawlType, accountId: data.accountId });
          attempts.push({ jobId: data.jobId, source, startedAt: data.startedAt });
        },
      }),
      nc.subscribe('crawler.result.completed.>', {
        callback: (_e, msg) => {
          running.delete(CrawlCompleted.unwrap(decode(msg.data)).data.jobId);
        },
      }),
      nc.subscribe('cache.resource.changed.>', {
        callback: (_e, msg) => {
          changeSources.add(ResourceChanged.unwrap(decode(msg.data)).source);
          liveChanges += 1;
        },
      }),
      nc.subscribe('broker.audit.credentials.issued', {
        callback: (_e, msg) => {
          const { source } = CredentialsAudited.unwrap(decode(msg.data));
          issuedBy.set(source, (issuedBy.get(source) ?? 0) + 1);
        },
      }),
    ];
    const issuedByCopy = (copy: ServiceProcess) =>
      [...issuedBy].filter(([source]) => processOf([copy], source)).reduce((sum, [, n]) => sum + n, 0);

    const load = startCredentialLoad(
      front.url,
      { requested_role: `arn:aws:iam::${prod.id}:role/readonly` },
      ALICE,
    );
    const requestIds: string[] = [];
    for (let n = 0; n < REQUESTS; n += 1) {
      const response = await stack.api('/api/v2/request', {
        method: 'POST',
        ...ALICE,
        body: {
          justification: 'scaling test',
          changes: {
            changes: [
              {
                change_type: 'inline_policy',
                principal: {
                  principal_type: 'AwsResource',
                  principal_arn: `arn:aws:iam::${prod.id}:role/support`,
                },
                action: 'attach',
                policy_name: `scaling-${n}`,
                policy: {
                  policy_document: {
                    Version: '2012-10-17',
                    Statement: [
                      {
                        Effect: 'Allow',
                        Action: ['sqs:ReceiveMessage'],
                        Resource: `arn:aws:sqs:*:*:scaling-${n}`,
                      },
                    ],
                  },
                },
              },
            ],
          },
        },
      });
      const body = (await response.json()) as { request_id?: string };
      expect(response.status, JSON.stringify(body)).toBe(200);
      requestIds.push(body.request_id!);
    }

    const requestedAt = new Date().toISOString();
    const crawl = await refresh(stack);

    // First kill: the broker, requests and gateway copies once both of each have answered, and a crawler
    // while it holds an IAM job of a big account (the crawl's long jobs), which another must take over.
    const bigIds = new Set(members.filter((a) => a.id !== prod.id).map((a) => a.id));
    const holder = await eventually(
      () => {
        const everyCopyWorked =
          copies.broker.every((b) => issuedByCopy(b) > 0) &&
          copies.requests.every((r) => lines(r, 'request created') > 0) &&
          [...front.answered.values()].every((n) => n > 0);
        if (!everyCopyWorked) return undefined;
        const held = [...running].find(
          ([, job]) =>
            job.crawlType === 'iam' && bigIds.has(job.accountId) && processOf(copies.crawler, job.source),
        );
        return held && { jobId: held[0], process: processOf(copies.crawler, held[1].source)! };
      },
      () =>
        `not every copy worked before the kill: brokers ${copies.broker.map(issuedByCopy).join(',')}, ` +
        `requests ${copies.requests.map((r) => lines(r, 'request created')).join(',')}, ` +
        `gateways ${JSON.stringify([...front.answered])}, running ${JSON.stringify([...running])}`,
      60_000,
    );
    await Promise.all(
      [holder.process, copies.broker[0]!, copies.requests[0]!, copies.gateway[0]!].map((s) => s.kill()),
    );
    const killedCrawler = holder.process.child.pid!;
    const answeredAtKill = new Map(front.answered);
    const issuedAtKill = issuedByCopy(copies.broker[1]!);

    // Second kill: a cache copy once both have published changes, while the crawl is still being stored.
    await eventually(
      () => (copies.cache.every((c) => [...changeSources].some((s) => processOf([c], s))) ? true : undefined),
      () => `not both caches published changes: ${[...changeSources].join(', ')}`,
      60_000,
    );
    await copies.cache[0]!.kill();
    const changesAtKill = liveChanges;
    console.log(`the cache copy killed after ${changesAtKill} change events`);

    // Approved after the kill: the gateway and requests copy that remain take it.
    const beforeApprove = aws.writes().length;
    const approved = await stack.api(`/api/v2/requests/${requestIds[0]}`, {
      method: 'PUT',
      ...ADMIN,
      body: { modification_model: { command: 'approve_request' } },
    });
    expect(approved.status, await approved.clone().text()).toBe(200);
    expect(await approved.json()).toMatchObject({ errors: 0 });

    const rows = await waitForCrawl(stack, crawl, requestedAt, 240_000);
    // A few more answers after the crawl, from the copies that remain.
    await eventually(
      () => (issuedByCopy(copies.broker[1]!) > issuedAtKill + 5 ? true : undefined),
      'the remaining broker to issue credentials after the kill',
    );
    await load.stop();
    for (const s of subscriptions) s.unsubscribe();

    // Every answer came back: each credential request ended in a 200, some after a retry the test made.
    const statuses = doubled(load.finals, String);
    console.log(
      `credential requests: ${load.finals.length}, final statuses ${JSON.stringify(statuses)}, ` +
        `retried ${JSON.stringify(Object.fromEntries(load.retried))}, lost by a dying gateway ${front.lost}`,
    );
    expect(load.finals.filter((s) => s !== 200)).toEqual([]);
    expect(load.finals.length).toBeGreaterThan(10);

    // The work was shared: every copy did some, the surviving ones went on after the kill.
    const issued = await storedIssuances(nc);
    const brokersThatIssued = new Set(issued.map((i) => processOf(copies.broker, i.source)?.name));
    expect([...brokersThatIssued].sort()).toEqual(['broker-1', 'broker-2']);
    // Each credential handed out has one audit record, written before it left (retries may add records
    // of credentials whose answer was lost with a dying gateway, never the other way round).
    const audited = new Set(issued.map((i) => i.data.accessKeyId));
    expect(load.accessKeyIds.filter((key) => !audited.has(key))).toEqual([]);
    expect(doubled(issued, (i) => i.data.accessKeyId ?? '')).toEqual({});
    expect(copies.requests.map((r) => lines(r, 'request created') > 0)).toEqual([true, true]);
    const [firstGateway, secondGateway] = [...front.answered.keys()];
    expect(answeredAtKill.get(firstGateway!)).toBeGreaterThan(0);
    expect(front.answered.get(firstGateway!)).toBe(answeredAtKill.get(firstGateway!));
    expect(front.answered.get(secondGateway!)).toBeGreaterThan(answeredAtKill.get(secondGateway!)!);

    const { starts, completions } = await storedCrawls(nc);
    const jobIds = new Set(crawl.jobs.map((j) => j.jobId));
    const ours = {
      starts: starts.filter((s) => jobIds.has(s.data.jobId)),
      completions: completions.filter((c) => jobIds.has(c.data.jobId)),
    };
    const crawlersThatStarted = new Set(attempts.map((a) => processOf(copies.crawler, a.source)?.name));
    expect(crawlersThatStarted.size, JSON.stringify([...crawlersThatStarted])).toBeGreaterThanOrEqual(2);
    const changes = (await storedChanges(nc)).filter((c) => c.data.crawlId === crawl.crawlId);
    const cachesThatStored = new Set(changes.map((c) => processOf(copies.cache, c.source)?.name));
    expect([...cachesThatStored].sort()).toEqual(['cache-1', 'cache-2']);

    // Nothing was done twice. A job is started again only after the crawler holding it died, and is
    // completed once; the job held at the kill was finished by another crawler.
    for (const job of crawl.jobs) {
      const jobAttempts = attempts.filter((a) => a.jobId === job.jobId);
      const byLiving = jobAttempts.filter((a) => !a.source.endsWith(`-${killedCrawler}`));
      expect(byLiving.length, `${job.jobId}: ${JSON.stringify(jobAttempts)}`).toBeLessThanOrEqual(1);
      expect(jobAttempts.slice(0, -1).every((a) => a.source.endsWith(`-${killedCrawler}`))).toBe(true);
      expect(
        ours.completions.filter((c) => c.data.jobId === job.jobId && c.data.status === 'succeeded'),
      ).toHaveLength(1);
    }
    // The job the killed crawler held was run again and finished by another crawler: its one completion
    // is that second attempt's.
    const heldAttempts = attempts.filter((a) => a.jobId === holder.jobId);
    const heldCompletions = ours.completions.filter((c) => c.data.jobId === holder.jobId);
    const seen = JSON.stringify({ heldAttempts, heldCompletions });
    expect(
      heldAttempts.map((a) => a.source.endsWith(`-${killedCrawler}`)),
      seen,
    ).toEqual([true, false]);
    expect(
      heldCompletions.map((c) => ({ source: c.source, startedAt: c.data.startedAt })),
      seen,
    ).toEqual([{ source: heldAttempts[1]!.source, startedAt: heldAttempts[1]!.startedAt }]);
    // One change event per item and crawl on the stream, whichever cache copy published it. Nothing was
    // lost: every role of every member account is cached, and announced once if it was new (not prod's).
    await expectCrawlWhole(stack, {
      changes,
      changesAtKill,
      rows,
      requestedAt,
      members,
      rolesPerAccount: ROLES_PER_ACCOUNT,
      announcedNew: (account) => account.id !== prod.id,
    });

    // The request was applied once: one IAM write reached AWS, its history shows one apply.
    expect(aws.writes().slice(beforeApprove)).toEqual(['PutRolePolicy']);
    const iam = await iamIn(stack.env.moto.url, prod.id);
    const policy = await iam.send(new GetRolePolicyCommand({ RoleName: 'support', PolicyName: 'scaling-0' }));
    expect(policy.PolicyName).toBe('scaling-0');
    const request = (await (await stack.api(`/api/v2/requests/${requestIds[0]}`)).json()) as {
      request: string;
    };
    expect((JSON.parse(request.request) as { request_status: string }).request_status).toBe('approved');
    const history = (await (await stack.api(`/api/v3/requests/${requestIds[0]}/events`)).json()) as {
      items: { type: string }[];
    };
    expect(history.items.map((h) => h.type)).toEqual(['created', 'approved', 'change_applied']);
  }, 400_000);
});
