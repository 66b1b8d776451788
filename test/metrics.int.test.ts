import { DEMO_USERS, freePort, seedDemoOrganization, type DemoAccount } from '@rolecall/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheStatus, refresh, waitForCrawl } from './support/crawls.js';
import { ALL_SERVICES, eventually, startStack, type Stack } from './support/stack.js';

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

describe('Prometheus metrics on each service’s own port', () => {
  let stack: Stack;
  let prod: DemoAccount;
  const ports = {} as Record<Service, number>;

  const scrape = async (service: Service): Promise<Sample[]> => {
    const response = await fetch(`http://127.0.0.1:${ports[service]}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    return parseMetrics(await response.text());
  };

  beforeAll(async () => {
    for (const service of ALL_SERVICES) ports[service] = await freePort();
    stack = await startStack({
      services: [],
      config: {
        metrics: { ports },
        auth: { cliAcceptsTrustedHeaders: true },
        gateway: { rateLimit: { credentialsPerMinute: 100_000 } },
      },
    });
    const org = await seedDemoOrganization({
      endpointUrl: stack.env.moto.url,
      region: 'us-east-1',
      memberAccountNames: ['prod'],
      withResources: false,
    });
    prod = org.accounts.find((a) => a.name === 'prod')!;
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

  it('gauges the lag of each durable JetStream consumer at scrape', async () => {
    const samples = await scrape('cache');
    const lag = samples.filter((s) => s.name === 'rolecall_jetstream_consumer_pending');
    expect(lag.length).toBeGreaterThan(0);
    expect(lag.every((s) => s.labels.stream && s.labels.consumer && s.value >= 0)).toBe(true);
  });
});
