/**
 * bench/credentials: POST /api/v1/get_credentials through the gateway (gateway → NATS → broker → STS)
 * against a direct STS AssumeRole on the same moto endpoint for the same role, in the same run.
 *
 *   npm run bench -- credentials       # defaults: 300 sequential requests each, then 400 at concurrency 8
 *   BENCH_REQUESTS=1000 BENCH_CONCURRENCY=16 npx tsx bench/credentials.ts
 *
 * Prints p50 and p99 latency of both, their ratios, and requests per second at a fixed concurrency.
 * Target: ≤ 1.25× at p50 and ≤ 1.5× at p99 (moto's STS answers in milliseconds, so this bounds
 * Rolecall's own overhead). A measurement, never a pass/fail test.
 */
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { awsClientConfig } from '@rolecall/shared/aws';
import { randomUUID } from 'node:crypto';
import { connect, type NatsConnection } from 'nats';
import { brokerSubjects, IssueCredentials, IssueCredentialsReplied } from '@rolecall/shared/contracts';
import { request } from '@rolecall/shared/nats';
import { MOTO_CREDENTIALS, seedDemoOrganization } from '@rolecall/shared/testing';
import { refresh, waitForCrawl } from '../test/support/crawls.js';
import { eventually, startStack, type Stack } from '../test/support/stack.js';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 300);
const WARM_UP = 30;
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const THROUGHPUT_REQUESTS = Number(process.env.BENCH_THROUGHPUT_REQUESTS ?? 400);
const USER = 'alice@example.com';
const GROUPS = ['engineering', 'payments'];

type Call = () => Promise<void>;

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;

/** A credential request the way a CLI sends it; the demo config lets loopback callers use trusted headers. */
function viaGateway(stack: Stack, roleArn: string): Call {
  return async () => {
    const response = await fetch(`${stack.gatewayUrl}/api/v1/get_credentials`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-forwarded-email': USER,
        'x-forwarded-groups': GROUPS.join(','),
      },
      body: JSON.stringify({ requested_role: roleArn, no_ip_restrictions: true }),
    });
    const body = (await response.json()) as { Credentials?: { AccessKeyId?: string } };
    if (response.status !== 200 || !body.Credentials?.AccessKeyId) {
      throw new Error(`get_credentials answered ${response.status}: ${JSON.stringify(body)}`);
    }
  };
}

/** The baseline: the one STS call the broker must make anyway, with the same parameters. */
/** The broker's own share: the same request sent straight to it over NATS, as the gateway sends it. */
function viaBroker(nc: NatsConnection, roleArn: string): Call {
  return async () => {
    const reply = await request(
      nc,
      brokerSubjects.issueCredentials,
      IssueCredentials,
      IssueCredentialsReplied,
      {
        caller: { user: USER, groups: GROUPS },
        requestedRole: roleArn,
        channel: 'cli',
        context: { sourceIp: '127.0.0.1', userAgent: 'bench', requestId: randomUUID() },
      },
      { source: 'bench' },
    );
    if (reply.outcome !== 'issued') throw new Error(`broker refused: ${reply.message}`);
  };
}

function directSts(endpointUrl: string, roleArn: string): Call {
  const sts = new STSClient(
    awsClientConfig('sts', { region: 'us-east-1', endpointUrl, credentials: MOTO_CREDENTIALS }),
  );
  return async () => {
    const answer = await sts.send(
      new AssumeRoleCommand({
        RoleArn: roleArn,
        RoleSessionName: USER,
        SourceIdentity: USER,
        DurationSeconds: 3600,
      }),
    );
    if (!answer.Credentials?.AccessKeyId) throw new Error('AssumeRole returned no credentials');
  };
}

/**
 * Sequential latencies of both, interleaved call by call so that both see the same moto state (moto's
 * STS keeps every session it issued, so later calls may cost more) and the same machine noise.
 */
async function latencies(calls: Record<string, Call>, count: number): Promise<Record<string, number[]>> {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(calls).map((k) => [k, []]));
  for (let i = 0; i < count; i += 1) {
    for (const [name, call] of Object.entries(calls)) {
      const started = performance.now();
      await call();
      samples[name]!.push(performance.now() - started);
    }
  }
  for (const list of Object.values(samples)) list.sort((a, b) => a - b);
  return samples;
}

async function throughput(call: Call, total: number, concurrency: number): Promise<number> {
  let remaining = total;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (remaining > 0) {
        remaining -= 1;
        await call();
      }
    }),
  );
  return total / ((performance.now() - started) / 1000);
}

const stack = await startStack({
  config: {
    auth: { cliAcceptsTrustedHeaders: true },
    // The limit protects real deployments; here it would only measure the 429 path.
    gateway: { rateLimit: { credentialsPerMinute: 1_000_000 } },
    log: { level: 'warn' },
  },
});
try {
  process.stdout.write('  seeding the demo organization into moto and crawling it… ');
  const org = await seedDemoOrganization({
    endpointUrl: stack.env.moto.url,
    region: 'us-east-1',
    withResources: false,
  });
  const requestedAt = new Date().toISOString();
  await waitForCrawl(stack, await refresh(stack, { resourceTypes: ['iam'] }), requestedAt);
  const prod = org.accounts.find((a) => a.name === 'prod');
  if (!prod) throw new Error('the demo organization has no prod account');
  const roleArn = `arn:aws:iam::${prod.id}:role/readonly`;
  const nc = await connect({ servers: stack.env.nats.url });
  const calls = {
    gateway: viaGateway(stack, roleArn),
    broker: viaBroker(nc, roleArn),
    sts: directSts(stack.env.moto.url, roleArn),
  };
  // The broker learns the mapping from the crawl's change events; wait until it grants the role.
  await eventually(
    () =>
      calls.gateway().then(
        () => true as const,
        () => undefined,
      ),
    () => `the broker never granted ${roleArn} to ${USER}`,
    30_000,
  );
  console.log('done');

  await latencies(calls, WARM_UP);
  const samples = await latencies(calls, REQUESTS);
  const gatewayRps = await throughput(calls.gateway, THROUGHPUT_REQUESTS, CONCURRENCY);
  const stsRps = await throughput(calls.sts, THROUGHPUT_REQUESTS, CONCURRENCY);

  await nc.close();
  const g = samples.gateway!;
  const b = samples.broker!;
  const s = samples.sts!;
  const ms = (v: number) => `${v.toFixed(2).padStart(8)} ms`;
  console.log(
    `\nbench/credentials: ${REQUESTS} sequential requests each after ${WARM_UP} warm-up, role ${roleArn}, moto at loopback`,
  );
  console.log('                                    p50          p99    req/s @' + CONCURRENCY);
  console.log(
    `get_credentials via gateway   ${ms(percentile(g, 50))}  ${ms(percentile(g, 99))}  ${gatewayRps.toFixed(0).padStart(8)}`,
  );
  console.log(`broker over NATS (no HTTP)    ${ms(percentile(b, 50))}  ${ms(percentile(b, 99))}`);
  console.log(
    `STS AssumeRole, direct        ${ms(percentile(s, 50))}  ${ms(percentile(s, 99))}  ${stsRps.toFixed(0).padStart(8)}`,
  );
  console.log(
    `ratio (gateway / direct)      ${(percentile(g, 50) / percentile(s, 50)).toFixed(2).padStart(8)}×  ` +
      `${(percentile(g, 99) / percentile(s, 99)).toFixed(2).padStart(8)}×  ${(stsRps / gatewayRps).toFixed(2).padStart(7)}× (direct req/s ÷ gateway req/s)`,
  );
  console.log('target: ≤ 1.25× at p50, ≤ 1.50× at p99');
} finally {
  await stack.stop();
}
