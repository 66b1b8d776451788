/**
 * bench/credentials: POST /api/v1/get_credentials through the gateway (gateway → NATS → broker → STS)
 * against a direct STS AssumeRole on the same moto endpoint for the same role, in the same run.
 *
 *   npm run bench -- credentials       # defaults: 300 sequential requests each, then 640 at concurrency 32
 *   BENCH_REQUESTS=1000 BENCH_CONCURRENCY=16 npx tsx bench/credentials.ts
 *
 * The floor of the design, measured in the same run as one call doing its parts one after the other: the
 * direct STS AssumeRole, one HTTP round trip to a bare Fastify route, one NATS request to a bare responder,
 * one JetStream publish acknowledgement (the audit record is durable before credentials leave) and the one
 * Redis round trip the design needs (the rate-limit charge and the authorization read in one MULTI). No
 * gateway → NATS → broker design can be faster. Its parts are also timed alone and printed.
 *
 * STS and DynamoDB are two moto processes behind one endpoint (bench/support/split-aws.ts), as they are two
 * services in AWS: in one moto, the audit records the broker persists into DynamoDB would queue in front of
 * the next AssumeRole. The direct STS baseline goes through the same endpoint.
 *
 * Prints p50 and p99 of the gateway, the broker alone, the floor and direct STS; the ratios to the floor;
 * and requests per second at BENCH_CONCURRENCY (32) callers, the gateway's against direct STS's.
 * Targets (issue 12 §3): gateway p50 ≤ 1.15× the floor's p50, p99 ≤ 1.3× the floor's p99, throughput at
 * 32 callers ≥ 90% of direct STS's. A measurement, never a pass/fail test; the Redis round-trip count per
 * issuance is asserted by test/credentials-redis-round-trips.int.test.ts.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { awsClientConfig } from '@rolecall/shared/aws';
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { createRedis, type Redis } from '@rolecall/shared/redis';
import { brokerOperations } from '@rolecall/shared/contracts';
import { request } from '@rolecall/shared/nats';
import { MOTO_CREDENTIALS } from '@rolecall/testing';
import { seedAndCrawlRoles } from '../test/support/crawls.js';
import { ALL_SERVICES, eventually, startStack, type Stack } from '../test/support/stack.js';
import { startSplitAws } from './support/split-aws.js';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 300);
const WARM_UP = 30;
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const THROUGHPUT_REQUESTS = Number(process.env.BENCH_THROUGHPUT_REQUESTS ?? 640);
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

/** The one Redis round trip of an issuance: a MULTI of the rate-limit charge and a read, as the broker sends it. */
function redisRoundTrip(redis: Redis): Call {
  return async () => {
    await redis
      .multi()
      .incr('bench:floor')
      .pexpire('bench:floor', 60_000)
      .exists('bench:floor:ready')
      .sunion('bench:floor:a', 'bench:floor:b')
      .hmget('bench:floor:roles', 'x')
      .exec();
  };
}

/** A stream like AUDIT (file storage, one replica, a duplicate window), for the floor's acknowledged publish. */
const FLOOR_STREAM = 'BENCH_FLOOR';
async function floorStream(nc: NatsConnection): Promise<JetStreamClient> {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({
    name: FLOOR_STREAM,
    subjects: ['bench.floor.audit'],
    duplicate_window: 3600 * 1_000_000_000,
    max_age: 3600 * 1_000_000_000,
  });
  return jetstream(nc);
}

/** An audit record's size, acknowledged by the stream (with a message id, as the broker publishes). */
const AUDIT_LIKE = new TextEncoder().encode('x'.repeat(700));
function jetStreamAck(js: JetStreamClient): Call {
  return async () => {
    await js.publish('bench.floor.audit', AUDIT_LIKE, {
      msgID: randomUUID(),
      expect: { streamName: FLOOR_STREAM },
    });
  };
}

/** The floor as one call: every part the design cannot do without, one after the other. */
function floorOf(parts: Call[]): Call {
  return async () => {
    for (const part of parts) await part();
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

/** The machine's load while measuring: the bench shares two cores with whatever else runs. */
const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

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
  services: [],
  config: {
    auth: { cliAcceptsTrustedHeaders: true },
    // The limit protects real deployments; here it would only measure the 429 path.
    gateway: { rateLimit: { credentialsPerMinute: 1_000_000 } },
    log: { level: 'warn' },
  },
});
// STS and DynamoDB as separate services, as in AWS (see split-aws.ts); every service and the baseline use it.
const aws = await startSplitAws(stack.env.moto.url);
try {
  for (const name of ALL_SERVICES) await stack.start(name, name, { AWS_ENDPOINT_URL: aws.url });
  process.stdout.write('  seeding the demo organization into moto and crawling it… ');
  const org = await seedAndCrawlRoles(stack);
  const prod = org.accounts.find((a) => a.name === 'prod');
  if (!prod) throw new Error('the demo organization has no prod account');
  const roleArn = `arn:aws:iam::${prod.id}:role/readonly`;
  const nc = await connect({ servers: stack.env.nats.url });
  const bare = await startBareServers(stack.env.nats.url);
  const redis = createRedis(stack.env.redis.url, 'bench');
  const js = await floorStream(nc);
  const parts = {
    sts: directSts(aws.url, roleArn),
    http: bareHttp(bare.httpPort),
    nats: bareNats(nc),
    jetstream: jetStreamAck(js),
    redis: redisRoundTrip(redis),
  };
  const calls = {
    gateway: viaGateway(stack, roleArn),
    broker: viaBroker(nc, roleArn),
    floor: floorOf(Object.values(parts)),
    ...parts,
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
  const cpu = loadAverage();
  const gatewayRps = await throughput(calls.gateway, THROUGHPUT_REQUESTS, CONCURRENCY);
  const stsRps = await throughput(calls.sts, THROUGHPUT_REQUESTS, CONCURRENCY);
  const floorRps = await throughput(calls.floor, THROUGHPUT_REQUESTS, CONCURRENCY);

  await nc.close();
  redis.disconnect();
  bare.child.disconnect();
  const at = (name: keyof typeof calls, p: number) => percentile(samples[name]!, p);
  const ms = (v: number) => `${v.toFixed(2).padStart(8)} ms`;
  const times = (v: number) => `${v.toFixed(2).padStart(7)}×`;
  const row = (label: string, name: keyof typeof calls, rps?: number) =>
    console.log(
      `${label.padEnd(34)}${ms(at(name, 50))}  ${ms(at(name, 99))}` +
        (rps === undefined ? '' : `  ${rps.toFixed(0).padStart(8)}`),
    );
  console.log(
    `\nbench/credentials: ${REQUESTS} sequential requests each after ${WARM_UP} warm-up, role ${roleArn}, ` +
      `moto at loopback; load average during the sequential part: ${cpu}`,
  );
  console.log(`${''.padEnd(34)}         p50          p99  req/s @${CONCURRENCY}`);
  row('get_credentials via gateway', 'gateway', gatewayRps);
  row('broker over NATS (no HTTP)', 'broker');
  row('floor (parts below, one call)', 'floor', floorRps);
  row('  STS AssumeRole, direct', 'sts', stsRps);
  row('  bare Fastify round trip', 'http');
  row('  bare NATS request', 'nats');
  row('  JetStream publish ack', 'jetstream');
  row('  Redis round trip (1 MULTI)', 'redis');
  const p50Ratio = at('gateway', 50) / at('floor', 50);
  const p99Ratio = at('gateway', 99) / at('floor', 99);
  const share = gatewayRps / stsRps;
  const verdict = (met: boolean) => (met ? 'met' : 'NOT met');
  console.log(
    `\ngateway / floor        p50 ${times(p50Ratio)}  (target ≤ 1.15×: ${verdict(p50Ratio <= 1.15)})` +
      `\ngateway / floor        p99 ${times(p99Ratio)}  (target ≤ 1.30×: ${verdict(p99Ratio <= 1.3)})` +
      `\ngateway / direct STS   req/s at ${CONCURRENCY} callers ${(share * 100).toFixed(0)}%  ` +
      `(target ≥ 90%: ${verdict(share >= 0.9)})` +
      `\ngateway / direct STS   p50 ${times(at('gateway', 50) / at('sts', 50))}, p99 ${times(at('gateway', 99) / at('sts', 99))}` +
      `\nfloor / direct STS     p50 ${times(at('floor', 50) / at('sts', 50))}`,
  );
  // What Rolecall adds above the floor at p50, split where the bench can see it: the broker's share is
  // its answer over NATS less STS, the NATS hop, one acknowledged publish and one Redis round trip.
  const brokerOwn = at('broker', 50) - at('sts', 50) - at('nats', 50) - at('jetstream', 50) - at('redis', 50);
  const gatewayOwn = at('gateway', 50) - at('broker', 50) - at('http', 50);
  console.log(
    `Rolecall's own work above the floor at p50: ${(at('gateway', 50) - at('floor', 50)).toFixed(2)} ms ` +
      `(gateway ${gatewayOwn.toFixed(2)}, broker ${brokerOwn.toFixed(2)}: its second audit acknowledgement, ` +
      `the completion, is part of it)`,
  );
} finally {
  await stack.stop();
  await aws.stop();
}
