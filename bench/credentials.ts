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
 *
 * Also measured in the same run, call by call: the transport floor of the design — the STS call plus
 * one HTTP round trip to a bare Fastify route, one NATS request to a bare responder and two Redis
 * round trips (rate limit, authorization). No gateway → NATS → broker implementation can be faster
 * than that, so the floor's own ratio says how much of the target this machine leaves to win.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { awsClientConfig } from '@rolecall/shared/aws';
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { createRedis, type Redis } from '@rolecall/shared/redis';
import { brokerOperations } from '@rolecall/shared/contracts';
import { request } from '@rolecall/shared/nats';
import { MOTO_CREDENTIALS, seedDemoOrganization } from '@rolecall/testing';
import { refresh, waitForCrawl } from '../test/support/crawls.js';
import { eventually, startStack, type Stack } from '../test/support/stack.js';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 300);
const WARM_UP = 30;
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const THROUGHPUT_REQUESTS = Number(process.env.BENCH_THROUGHPUT_REQUESTS ?? 400);
const USER = 'alice@example.com';
const GROUPS = ['engineering', 'payments'];
/**
 * After each call, before the next: the audit write that follows a credential request runs in moto,
 * which also answers STS; in AWS they are separate services. Without the pause, the next measured call
 * (whichever it is) would queue behind that write.
 */
const SETTLE_MS = 20;

type Call = () => Promise<void>;

/**
 * Keep-alive HTTP/1.1 from Node's own client, as the SDK's handler uses for the direct STS call (Weep
 * is a Go client); `fetch` would add about half a millisecond of client time to the gateway alone.
 */
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
function postJson(
  url: string,
  headers: Record<string, string>,
  body: unknown,
): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', ...headers } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          try {
            resolve({
              status: response.statusCode ?? 0,
              body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown,
            });
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        });
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(JSON.stringify(body));
  });
}

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;

/** A credential request the way a CLI sends it; the demo config lets loopback callers use trusted headers. */
function viaGateway(stack: Stack, roleArn: string): Call {
  return async () => {
    const response = await postJson(
      `${stack.gatewayUrl}/api/v1/get_credentials`,
      { 'x-forwarded-email': USER, 'x-forwarded-groups': GROUPS.join(',') },
      { requested_role: roleArn, no_ip_restrictions: false },
    );
    const body = response.body as { Credentials?: { AccessKeyId?: string } };
    if (response.status !== 200 || !body.Credentials?.AccessKeyId) {
      throw new Error(`get_credentials answered ${response.status}: ${JSON.stringify(body)}`);
    }
  };
}

/** The broker's own share: the same request sent straight to it over NATS, as the gateway sends it. */
function viaBroker(nc: NatsConnection, roleArn: string): Call {
  return async () => {
    const reply = await request(
      nc,
      brokerOperations.issueCredentials,
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

/** The baseline: the one STS call the broker must make anyway, with the same parameters. */
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

/** Floor parts: the bare servers in their own process, and Redis as the gateway and broker use it. */
async function startBareServers(natsUrl: string): Promise<{ child: ChildProcess; httpPort: number }> {
  const child = fork(new URL('./support/bare-servers.mjs', import.meta.url), [natsUrl], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const httpPort = await new Promise<number>((resolve, reject) => {
    child.once('message', (message) => resolve((message as { httpPort: number }).httpPort));
    child.once('exit', (code) => reject(new Error(`bare servers exited with ${code}`)));
  });
  return { child, httpPort };
}

/** Payloads about the size of a credential request and reply. */
const REQUEST_LIKE = { requested_role: 'arn:aws:iam::123456789012:role/readonly', no_ip_restrictions: false };
const REPLY_LIKE = new TextEncoder().encode('x'.repeat(1200));

function bareHttp(port: number): Call {
  return async () => {
    const response = await postJson(`http://127.0.0.1:${port}/echo`, {}, REQUEST_LIKE);
    if (response.status !== 200) throw new Error(`bare Fastify answered ${response.status}`);
  };
}

function bareNats(nc: NatsConnection): Call {
  return async () => {
    await nc.request('bench.bare.echo', REPLY_LIKE, { timeout: 5000 });
  };
}

function redisRoundTrip(redis: Redis): Call {
  return async () => {
    await redis.multi().incr('bench:floor').pexpire('bench:floor', 60_000).exec();
  };
}

/**
 * Sequential latencies of every call, interleaved call by call so that both see the same moto state (moto's
 * STS keeps every session it issued, so later calls may cost more) and the same machine noise.
 */
async function latencies(calls: Record<string, Call>, count: number): Promise<Record<string, number[]>> {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(calls).map((k) => [k, []]));
  for (let i = 0; i < count; i += 1) {
    for (const [name, call] of Object.entries(calls)) {
      const started = performance.now();
      await call();
      samples[name]!.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
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
  const bare = await startBareServers(stack.env.nats.url);
  const redis = createRedis(stack.env.redis.url, 'bench');
  const calls = {
    gateway: viaGateway(stack, roleArn),
    broker: viaBroker(nc, roleArn),
    sts: directSts(stack.env.moto.url, roleArn),
    http: bareHttp(bare.httpPort),
    nats: bareNats(nc),
    redis: redisRoundTrip(redis),
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
  redis.disconnect();
  bare.child.disconnect();
  const g = samples.gateway!;
  const b = samples.broker!;
  const s = samples.sts!;
  const p50 = (name: keyof typeof calls) => percentile(samples[name]!, 50);
  const floor = p50('sts') + p50('http') + p50('nats') + 2 * p50('redis');
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
  console.log(
    `\ntransport floor at p50: STS ${p50('sts').toFixed(2)} + bare Fastify ${p50('http').toFixed(2)} + ` +
      `NATS request ${p50('nats').toFixed(2)} + 2 × Redis ${p50('redis').toFixed(2)} = ${floor.toFixed(2)} ms ` +
      `(${(floor / p50('sts')).toFixed(2)}× direct)`,
  );
  // The gateway's own round trip to Redis is its rate limit, the broker's its authorization read.
  const gatewayOwn = p50('gateway') - p50('broker') - p50('http') - p50('redis');
  const brokerOwn = p50('broker') - p50('sts') - p50('nats') - p50('redis');
  console.log(
    `Rolecall's own work above that floor at p50: ${(p50('gateway') - floor).toFixed(2)} ms ` +
      `(gateway ${gatewayOwn.toFixed(2)}, broker ${brokerOwn.toFixed(2)})`,
  );
} finally {
  await stack.stop();
}
