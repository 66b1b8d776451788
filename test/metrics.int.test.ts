import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEMO_USERS, freePort, type DemoAccount } from '@rolecall/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheStatus, refresh, seedProdAccount, waitForCrawl } from './support/crawls.js';
import { ALL_SERVICES, eventually, startStack, type Stack } from './support/stack.js';
import { inlinePolicyRequest } from './support/policy-requests.js';

const alice = DEMO_USERS.find((u) => u.email === 'alice@example.com')!;
type Service = (typeof ALL_SERVICES)[number];

/** One sample of a Prometheus text exposition: `name{a="x",b="y"} value`. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a Prometheus sample: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key!] = value!.replace(/\\(.)/g, '$1');
    }
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The sum of a metric's samples whose labels include `labels` (0 when there is none yet). */
const valueOf = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);

/** A Slack webhook that refuses every post (404, as for a revoked hook: not retried), counting them. */
async function startRefusingWebhook(): Promise<{ url: string; posts: () => number; close(): Promise<void> }> {
  let posts = 0;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      posts += 1;
      res.writeHead(404).end('no_service');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/services/T0/B0/revoked`,
    posts: () => posts,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('Prometheus metrics on each service’s own port', () => {
  let stack: Stack;
  let prod: DemoAccount;
  let slack: Awaited<ReturnType<typeof startRefusingWebhook>>;
  const ports = {} as Record<Service, number>;

  const scrape = async (service: Service): Promise<Sample[]> => {
    const response = await fetch(`http://127.0.0.1:${ports[service]}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    return parseMetrics(await response.text());
  };

  beforeAll(async () => {
    for (const service of ALL_SERVICES) ports[service] = await freePort();
    slack = await startRefusingWebhook();
    stack = await startStack({
      services: [],
      config: {
        metrics: { ports },
        requests: { notifications: { slackWebhookUrl: slack.url } },
        auth: { cliAcceptsTrustedHeaders: true },
        gateway: { rateLimit: { credentialsPerMinute: 100_000 } },
      },
    });
    prod = await seedProdAccount(stack);
    for (const name of ALL_SERVICES) await stack.start(name);
    // Each service opens its metrics port once it has started, which the stack does not wait for.
    for (const service of ALL_SERVICES) {
      await eventually(
        () =>
          fetch(`http://127.0.0.1:${ports[service]}/metrics`).then(
            (r) => (r.ok ? true : undefined),
            () => undefined,
          ),
        `the ${service}'s metrics port`,
      );
    }
  });
  afterAll(async () => {
    await stack?.stop();
    await slack?.close();
  });

  it('serves only GET /metrics on the metrics port, with each service named', async () => {
    for (const service of ALL_SERVICES) {
      const samples = await scrape(service);
      expect(samples.find((s) => s.name === 'rolecall_process_cpu_seconds_total')?.labels.service).toBe(
        service,
      );
      expect((await fetch(`http://127.0.0.1:${ports[service]}/`)).status).toBe(404);
    }
  });

  it('counts HTTP answers per route pattern and status, and times them', async () => {
    const before = await scrape('gateway');
    for (let i = 0; i < 3; i += 1) expect((await fetch(`${stack.gatewayUrl}/healthcheck`)).status).toBe(200);
    const missing = await stack.api(`/api/v2/roles/${prod.id}/no-such-role`);
    expect(missing.status).toBe(404);
    const after = await scrape('gateway');
    const healthy = { route: '/healthcheck', method: 'GET', status: '200' };
    expect(valueOf(after, 'rolecall_http_requests_total', healthy)).toBe(
      valueOf(before, 'rolecall_http_requests_total', healthy) + 3,
    );
    // The pattern, never the path: one series for every role.
    const notFound = { route: '/api/v2/roles/:accountId/:roleName', status: '404' };
    expect(valueOf(after, 'rolecall_http_requests_total', notFound)).toBe(
      valueOf(before, 'rolecall_http_requests_total', notFound) + 1,
    );
    const timed = { route: '/healthcheck', method: 'GET' };
    expect(valueOf(after, 'rolecall_http_request_duration_seconds_count', timed)).toBe(
      valueOf(before, 'rolecall_http_request_duration_seconds_count', timed) + 3,
    );
  });

  it('times each crawl by account and type, and gauges the items it found', async () => {
    const before = await scrape('crawler');
    const requestedAt = new Date().toISOString();
    const crawl = await refresh(stack, { accountIds: [prod.id], resourceTypes: ['iam'] });
    await waitForCrawl(stack, crawl, requestedAt);
    const after = await scrape('crawler');
    const jobs = crawl.jobs.filter((j) => j.accountId === prod.id);
    expect(jobs.length).toBeGreaterThan(0);
    const rows = await cacheStatus(stack);
    for (const job of jobs) {
      const labels = { account: prod.id, type: job.crawlType };
      expect(
        valueOf(after, 'rolecall_crawl_duration_seconds_count', { ...labels, outcome: 'succeeded' }),
      ).toBe(
        valueOf(before, 'rolecall_crawl_duration_seconds_count', { ...labels, outcome: 'succeeded' }) + 1,
      );
      const row = rows.find((r) => r.accountId === prod.id && r.crawlType === job.crawlType);
      expect(valueOf(after, 'rolecall_crawl_items', labels)).toBe(row?.itemCount);
    }
  });

  it('counts credential issuances by outcome, and the NATS operations on both sides', async () => {
    const subject = 'broker.credentials.issue';
    const [broker0, gateway0] = [await scrape('broker'), await scrape('gateway')];
    const ask = (requestedRole: string) =>
      fetch(`${stack.gatewayUrl}/api/v1/get_credentials`, {
        method: 'POST',
        headers: {
          'x-forwarded-email': alice.email,
          'x-forwarded-groups': alice.groups.join(','),
          'content-type': 'application/json',
        },
        body: JSON.stringify({ requested_role: requestedRole }),
      });
    expect((await ask(`arn:aws:iam::${prod.id}:role/readonly`)).status).toBe(200);
    expect((await ask(`arn:aws:iam::${prod.id}:role/readonly`)).status).toBe(200);
    expect((await ask('no-such-role')).status).toBe(403);
    // The broker counts when it records the decision; the scrape may come a moment after the reply.
    const broker1 = await eventually(async () => {
      const samples = await scrape('broker');
      const issued = valueOf(samples, 'rolecall_credential_issuances_total', { outcome: 'issued' });
      return issued >= valueOf(broker0, 'rolecall_credential_issuances_total', { outcome: 'issued' }) + 2
        ? samples
        : undefined;
    }, 'the issuances to be counted');
    const count = (samples: typeof broker0, outcome: string) =>
      valueOf(samples, 'rolecall_credential_issuances_total', { channel: 'cli', outcome });
    expect(count(broker1, 'issued')).toBe(count(broker0, 'issued') + 2);
    expect(count(broker1, 'refused')).toBe(count(broker0, 'refused') + 1);

    const gateway1 = await scrape('gateway');
    const operations = (samples: Sample[], side: string) =>
      samples
        .filter((s) => s.name === 'rolecall_nats_operations_total' && s.labels.side === side)
        .filter((s) => s.labels.subject === subject)
        .reduce((sum, s) => sum + s.value, 0);
    expect(operations(gateway1, 'client') - operations(gateway0, 'client')).toBe(3);
    expect(operations(broker1, 'server') - operations(broker0, 'server')).toBe(3);
  });

  it('counts each notification that failed, one per post the webhook refused', async () => {
    const failures = (samples: Sample[]) =>
      valueOf(samples, 'rolecall_notification_failures_total', { channel: 'slack' });
    // Which topics go to Slack is dynamic config; it reaches the requests service by an event.
    const current = (await (await stack.api('/api/v2/dynamic_config')).json()) as { sha256: string };
    const saved = await stack.api('/api/v2/dynamic_config', {
      method: 'POST',
      body: {
        existing_sha256: current.sha256,
        new_config: 'policy_requests:\n  notifications:\n    created: [slack]\n',
      },
    });
    expect(saved.status, await saved.clone().text()).toBe(200);
    const before = failures(await scrape('requests'));
    const postsBefore = slack.posts();
    let asked = 0;
    let lastAsked = 0;
    /** A new policy request, which the requests service announces on Slack once the routing has reached it. */
    const ask = async () => {
      asked += 1;
      lastAsked = Date.now();
      const created = await stack.api('/api/v2/request', {
        method: 'POST',
        user: alice.email,
        groups: [...alice.groups],
        body: inlinePolicyRequest({
          roleArn: `arn:aws:iam::${prod.id}:role/readonly`,
          policyName: `metrics-test-${asked}`,
          justification: 'metrics test',
          bucket: 'metrics',
        }),
      });
      expect(created.status, await created.clone().text()).toBe(200);
    };
    // Each refused post is one failure (a 404 is not tried again), counted once it is known to have failed.
    const refused = await eventually(
      async () => {
        const posts = slack.posts() - postsBefore;
        if (posts === 0 && Date.now() - lastAsked > 3_000) await ask();
        const counted = failures(await scrape('requests')) - before;
        return posts > 0 && counted === posts ? posts : undefined;
      },
      async () =>
        `a failed notification to be counted after ${asked} requests: ${slack.posts() - postsBefore} posts refused, ${
          failures(await scrape('requests')) - before
        } counted`,
    );
    expect(refused).toBeGreaterThan(0);
  });

  it('gauges the lag of each durable JetStream consumer at scrape', async () => {
    const samples = await scrape('cache');
    const lag = samples.filter((s) => s.name === 'rolecall_jetstream_consumer_pending');
    expect(lag.length).toBeGreaterThan(0);
    expect(lag.every((s) => s.labels.stream && s.labels.consumer && s.value >= 0)).toBe(true);
  });
});
