/**
 * bench/reads: the gateway's read routes at 100k cached resources, each against a bare Fastify serving
 * the same response bytes in the same run.
 *
 *   npm run bench -- reads
 *   BENCH_ITEMS_PER_ACCOUNT=100 BENCH_SECONDS=3 npx tsx bench/reads.ts     # a quicker, smaller run
 *   BENCH_CPU_PROF=/tmp/prof npx tsx bench/reads.ts                      # the gateway writes a .cpuprofile
 *   BENCH_ROUTES=query=,tag= npx tsx bench/reads.ts                      # only the routes whose names contain these
 *
 * Fills Redis with 200 accounts × 500 resources (roles, users, buckets, queues, topics, Config
 * resources, with tags) through the cache service's own Redis writer, and the credential authorization
 * mapping of 1,000 users in 100 groups through the broker's own builder; then runs the real cache,
 * broker and gateway processes. Per route, with 10 connections (autocannon):
 * - closed loop: requests per second and p99 of the gateway and of the bare Fastify, and their share;
 * - open loop at the target's fixed rate (500 req/s; searches 200 req/s): p50 and p99 of the gateway.
 * Also: Redis bytes per role and per resource (INFO memory before and after), and the gateway's RSS.
 * A measurement, never a pass/fail test; the targets are printed beside the figures.
 */
import autocannon from 'autocannon';
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { AwsAccount, CachedItem, ItemType } from '@rolecall/shared/contracts';
import { sha256Of } from '@rolecall/shared/dynamic-config';
import { silentLogger } from '@rolecall/shared/log';
import { createRedis, Redis, redisKeys } from '@rolecall/shared/redis';
import { cachedItem } from '@rolecall/testing';
import { createRedisAuthorization } from '../services/broker/src/adapters/redis-authorization.js';
import { factsOfRole } from '../services/broker/src/domain/roles.js';
import { createRedisReadModel } from '../services/cache/src/adapters/redis-read-model.js';
import { eventually, startStack, type Stack } from '../test/support/stack.js';

const ACCOUNTS = 200;
const ITEMS_PER_ACCOUNT = Number(process.env.BENCH_ITEMS_PER_ACCOUNT ?? 500);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = 10;
const USERS = 1_000;
const GROUPS = 100;
const PREFIX = 'rc:';
/** Each route's requests rotate over this many URLs (pages, users, names), the bare server's too. */
const ROTATION = 20;
/** Words that name a few resources each across the whole inventory: the selective searches. */
const RARE_WORDS = Array.from({ length: ROTATION }, (_, i) => `ledger${String.fromCharCode(97 + i)}`);
const TEAMS = ['payments', 'search', 'identity', 'storage', 'billing', 'platform', 'growth', 'data'];
const ENVS = ['prod', 'staging', 'dev'];

const accountId = (a: number) => String(100_000_000_000 + a);
const policy = (resource: string, action: string) => ({
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'Access',
      Effect: 'Allow',
      Action: [action, `${action.split(':')[0]}:Describe*`],
      Resource: resource,
    },
  ],
});

/**
 * A resource of the synthetic inventory. Roles look like real ones (a trust policy, an inline policy,
 * two managed policies, tags), since Redis bytes per role is a target. One resource in 500 carries a
 * rare word in its name and the `compliance` tag: what the selective searches look for.
 */
function syntheticItem(a: number, i: number): CachedItem {
  const account = accountId(a);
  const n = a * ITEMS_PER_ACCOUNT + i;
  const team = TEAMS[n % TEAMS.length] as string;
  const env = ENVS[n % ENVS.length] as string;
  const rare = n % 500 === 250 ? `-${RARE_WORDS[((n / 500) % ROTATION) | 0] as string}` : '';
  const tags: Record<string, string> = { team, env, owner: `${team}-oncall@example.com` };
  if (rare) tags.compliance = RARE_WORDS[((n / 500) % ROTATION) | 0] as string;
  const slot = i % 10;
  const common = { accountId: account, lastSeenAt: '2026-03-01T10:00:00.000Z' };
  if (slot < 4) {
    const name = `${team}-${env}-svc${i}${rare}`;
    // One role in 20 grants itself to a group, one in 200 to a user as well (ConsoleMe's tag convention).
    if (n % 20 === 0) {
      const groups = `group${n % GROUPS}${n % 200 === 0 ? `:user${n % USERS}@example.com` : ''}`;
      tags['consoleme-authorized'] = groups;
    }
    return cachedItem({
      ...common,
      arn: `arn:aws:iam::${account}:role/${name}`,
      itemType: 'iam_role',
      name,
      tags,
      details: {
        path: '/',
        roleId: `AROA${n.toString(36).toUpperCase().padStart(17, 'X')}`,
        createDate: '2025-06-01T00:00:00.000Z',
        description: `Service role of ${team} in ${env}`,
        maxSessionDuration: 3600,
        assumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: 'arn:aws:iam::123456789012:role/RolecallHub' },
              Action: 'sts:AssumeRole',
            },
          ],
        },
        inlinePolicies: [
          { name: `${team}-access`, document: policy(`arn:aws:s3:::${team}-${env}-*`, 's3:GetObject') },
        ],
        managedPolicies: [
          { name: 'ReadOnlyAccess', arn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' },
          { name: `${team}-base`, arn: `arn:aws:iam::${account}:policy/${team}-base` },
        ],
        lastUsed: { date: '2026-02-28T12:00:00.000Z', region: 'us-east-1' },
      },
    });
  }
  const kinds: [ItemType, (name: string) => string, string][] = [
    ['iam_user', (name) => `arn:aws:iam::${account}:user/${name}`, 'global'],
    ['s3_bucket', (name) => `arn:aws:s3:::${name}`, 'us-east-1'],
    ['sqs_queue', (name) => `arn:aws:sqs:us-east-1:${account}:${name}`, 'us-east-1'],
    ['sns_topic', (name) => `arn:aws:sns:us-west-2:${account}:${name}`, 'us-west-2'],
    ['config_resource', (name) => `arn:aws:ec2:us-east-1:${account}:instance/i-${name}`, 'us-east-1'],
  ];
  const [itemType, arnOf, region] = kinds[(slot - 4) % kinds.length] as (typeof kinds)[number];
  const name = `${team}-${env}-${itemType.split('_')[1] as string}${n}${rare}`;
  return cachedItem({
    ...common,
    arn: arnOf(name),
    itemType,
    name,
    region,
    tags,
    ...(itemType === 'config_resource'
      ? { details: { resourceType: 'AWS::EC2::Instance', resourceId: `i-${name}` } }
      : itemType === 'iam_user' || itemType === 'iam_role'
        ? {}
        : { details: { policy: policy(arnOf(name), 'sqs:SendMessage') } }),
  });
}

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? NaN);
}

/** Through the cache's own writer (the layout is the cache's by construction), 1,000 writes in flight. */
async function seed(
  redis: Redis,
): Promise<{ roles: CachedItem[]; bytesPerRole: number; bytesPerItem: number }> {
  const writer = createRedisReadModel({ redis, keys: redisKeys(PREFIX) });
  const all: CachedItem[] = [];
  for (let a = 0; a < ACCOUNTS; a += 1)
    for (let i = 0; i < ITEMS_PER_ACCOUNT; i += 1) all.push(syntheticItem(a, i));
  const roles = all.filter((item) => item.itemType === 'iam_role');
  const others = all.filter((item) => item.itemType !== 'iam_role');
  const write = async (items: CachedItem[]) => {
    for (let start = 0; start < items.length; start += 1_000) {
      await Promise.all(items.slice(start, start + 1_000).map((item) => writer.putItem(item)));
    }
  };
  const empty = await usedMemory(redis);
  await write(roles);
  const withRoles = await usedMemory(redis);
  await write(others);
  const full = await usedMemory(redis);
  const accounts: AwsAccount[] = Array.from({ length: ACCOUNTS }, (_, a) => ({
    id: accountId(a),
    name: `account-${a}`,
    status: 'ACTIVE',
  }));
  await writer.replaceAccounts(accounts, new Date().toISOString());
  // Redis holds everything: the cache service must not refill it from its (empty) DynamoDB tables.
  await writer.markLoaded(new Date().toISOString());
  return {
    roles,
    bytesPerRole: (withRoles - empty) / roles.length,
    bytesPerItem: (full - empty) / all.length,
  };
}

/** The broker's own builder of the authorization mapping, from the seeded roles. */
async function buildMapping(stack: Stack, roles: CachedItem[]): Promise<void> {
  // Plain clients: the build is one MULTI of some 100k commands, longer than the services' 2 s command timeout.
  const redis = new Redis(stack.env.redis.url);
  const watchRedis = new Redis(stack.env.redis.url);
  const mapping = createRedisAuthorization({
    redis,
    watchRedis,
    keys: redisKeys(PREFIX),
    settings: {
      authorizedTags: ['consoleme-authorized'],
      authorizedCliOnlyTags: ['consoleme-authorized-cli-only'],
      lowercaseIdentities: true,
    },
    roles: {
      listRoles: () => Promise.resolve(roles.map((r) => factsOfRole(r as Parameters<typeof factsOfRole>[0]))),
    },
    loadConfig: () => Promise.resolve({ yaml: '', sha256: sha256Of(''), config: {} }),
    log: silentLogger(),
  });
  await mapping.ensureBuilt();
  redis.disconnect();
  watchRedis.disconnect();
}

interface BenchRequest {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

interface Route {
  name: string;
  rate: number;
  target: string;
  requests: BenchRequest[];
}

const userHeaders = (u: number) => ({
  'x-forwarded-email': `user${u}@example.com`,
  'x-forwarded-groups': [
    `group${u % GROUPS}`,
    `group${(u * 7 + 3) % GROUPS}`,
    `group${(u * 13 + 5) % GROUPS}`,
  ].join(','),
});
const get = (path: string, u = 0): BenchRequest => ({ method: 'GET', path, headers: userHeaders(u) });
const post = (path: string, body: unknown, u = 0): BenchRequest => ({
  method: 'POST',
  path,
  headers: { ...userHeaders(u), 'content-type': 'application/json' },
  body: JSON.stringify(body),
});
const rotate = <T>(make: (i: number) => T): T[] => Array.from({ length: ROTATION }, (_, i) => make(i));

async function fetchPage(base: string, request: BenchRequest) {
  const response = await fetch(`${base}${request.path}`, {
    method: request.method,
    headers: request.headers,
    ...(request.body === undefined ? {} : { body: request.body }),
  });
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? 'application/json',
    body: await response.text(),
  };
}

async function routes(base: string, roles: CachedItem[]): Promise<Route[]> {
  // Twenty successive pages of the unfiltered list, by their cursors.
  const pages: string[] = ['/api/v3/resources?limit=50'];
  while (pages.length < ROTATION) {
    const page = JSON.parse((await fetchPage(base, get(pages[pages.length - 1] as string))).body) as {
      nextCursor: string | null;
    };
    pages.push(`/api/v3/resources?limit=50&cursor=${page.nextCursor ?? ''}`);
  }
  const someRoles = rotate((i) => roles[(i * 1_999) % roles.length] as CachedItem);
  return [
    {
      name: 'GET /api/v1/get_roles',
      rate: 500,
      target: '≤ 10',
      requests: rotate((i) => get('/api/v1/get_roles', i * 47)),
    },
    {
      name: 'POST /api/v2/eligible_roles',
      rate: 500,
      target: '≤ 10',
      requests: rotate((i) => post('/api/v2/eligible_roles', {}, i * 47)),
    },
    { name: 'GET /api/v3/resources?limit=50', rate: 500, target: '≤ 10', requests: pages.map((p) => get(p)) },
    {
      name: 'GET /api/v2/roles/{account}/{role}',
      rate: 500,
      target: '≤ 10',
      requests: someRoles.map((r) => get(`/api/v2/roles/${r.accountId}/${r.name}`)),
    },
    {
      name: 'GET /api/v2/typeahead/resources',
      rate: 500,
      target: '≤ 10',
      // What a user has typed: the start of a role's name, which names several across the accounts.
      requests: someRoles.map((r) =>
        get(`/api/v2/typeahead/resources?typeahead=${r.name.slice(0, 15)}&limit=20`),
      ),
    },
    {
      name: 'GET /api/v1/policies/typeahead (iam_role)',
      rate: 500,
      target: '≤ 10',
      requests: someRoles.map((r) =>
        get(`/api/v1/policies/typeahead?resource=iam_role&search=${r.name.slice(0, 15)}`),
      ),
    },
    {
      name: 'GET /api/v3/resources?query= (substring, ~10 of 100k)',
      rate: 200,
      target: '≤ 25',
      requests: RARE_WORDS.map((w) => get(`/api/v3/resources?limit=50&query=${w}`)),
    },
    {
      name: 'GET /api/v3/resources?tag=compliance=… (~10 of 100k)',
      rate: 200,
      target: '≤ 25',
      requests: RARE_WORDS.map((w) => get(`/api/v3/resources?limit=50&tag=compliance%3D${w}`)),
    },
    {
      name: 'GET /api/v3/resources?account=…',
      rate: 200,
      target: '≤ 25',
      requests: rotate((i) => get(`/api/v3/resources?limit=50&account=${accountId(i * 9)}`)),
    },
    {
      name: 'POST /api/v2/policies (arn regex, all 100k)',
      rate: 200,
      target: '—',
      requests: RARE_WORDS.map((w) => post('/api/v2/policies', { filters: { arn: w }, limit: 50 })),
    },
  ];
}

function startBare(
  recorded: { method: string; url: string; user: string; contentType: string; body: string }[],
) {
  const child: ChildProcess = fork(new URL('./support/bare-bytes.mjs', import.meta.url), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise<{ url: string; child: ChildProcess }>((resolve) => {
    child.once('message', (m) =>
      resolve({ url: `http://127.0.0.1:${(m as { httpPort: number }).httpPort}`, child }),
    );
    child.send(recorded);
  });
}

interface Measured {
  rps: number;
  p50: number;
  p99: number;
  bad: number;
}

async function load(base: string, requests: BenchRequest[], rate?: number): Promise<Measured> {
  let next = 0;
  const result = await autocannon({
    url: base,
    connections: CONNECTIONS,
    duration: SECONDS,
    ...(rate === undefined ? {} : { overallRate: rate }),
    requests: [
      {
        setupRequest: (request) => {
          const chosen = requests[next++ % requests.length] as BenchRequest;
          return {
            ...request,
            method: chosen.method,
            path: chosen.path,
            headers: chosen.headers,
            ...(chosen.body === undefined ? {} : { body: chosen.body }),
          };
        },
      },
    ],
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    bad: result.non2xx + result.errors + result.timeouts,
  };
}

const rssOf = (pid: number | undefined) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;

async function main(): Promise<void> {
  const cpuProfileDir = process.env.BENCH_CPU_PROF;
  const stack = await startStack({
    services: [],
    config: { log: { level: 'warn' }, auth: { cliAcceptsTrustedHeaders: true } },
  });
  try {
    const redis = createRedis(stack.env.redis.url, 'bench');
    process.stdout.write(`seeding ${ACCOUNTS * ITEMS_PER_ACCOUNT} resources… `);
    const seeded = await seed(redis);
    await buildMapping(stack, seeded.roles);
    console.log('done');
    await stack.start('cache');
    await stack.start('broker');
    const startedAt = Date.now();
    const gateway = await stack.start(
      'gateway',
      'gateway',
      cpuProfileDir ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${cpuProfileDir}` } : {},
    );
    // The index is current once a selective search answers its few matches whole (no scan-limit cursor).
    await eventually(
      async () => {
        const page = JSON.parse(
          (
            await fetchPage(
              stack.gatewayUrl,
              get(`/api/v3/resources?limit=50&query=${RARE_WORDS[0] as string}`),
            )
          ).body,
        ) as {
          nextCursor?: string | null;
        };
        return page.nextCursor === null ? true : undefined;
      },
      () => 'the gateway index did not load',
      120_000,
    );
    console.log(
      `gateway: listening and its index current ${((Date.now() - startedAt) / 1000).toFixed(1)} s after start`,
    );

    const only = process.env.BENCH_ROUTES;
    const chosen = (await routes(stack.gatewayUrl, seeded.roles)).filter(
      (r) => only === undefined || only.split(',').some((part) => r.name.includes(part)),
    );
    const recorded = [];
    for (const route of chosen) {
      for (const request of route.requests) {
        const answer = await fetchPage(stack.gatewayUrl, request);
        if (answer.status !== 200)
          throw new Error(`${route.name}: ${request.path} answered ${answer.status} ${answer.body}`);
        recorded.push({
          method: request.method,
          url: request.path,
          user: request.headers['x-forwarded-email'] as string,
          contentType: answer.contentType,
          body: answer.body,
        });
      }
    }
    const bare = await startBare(recorded);

    console.log(
      `\nload average before: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
    );
    console.log(`${CONNECTIONS} connections, ${SECONDS} s per measurement; latencies in ms\n`);
    const rows: string[][] = [];
    for (const route of chosen) {
      const bytes = recorded
        .filter((r) => route.requests.some((q) => q.path === r.url))
        .map((r) => r.body.length);
      const meanBytes = Math.round(bytes.reduce((a, b) => a + b, 0) / bytes.length);
      const floor = await load(bare.url, route.requests);
      const ours = await load(stack.gatewayUrl, route.requests);
      const fixed = await load(stack.gatewayUrl, route.requests, route.rate);
      rows.push([
        route.name,
        String(meanBytes),
        ours.rps.toFixed(0),
        floor.rps.toFixed(0),
        `${((100 * ours.rps) / floor.rps).toFixed(1)}%`,
        String(ours.p99),
        `${fixed.p50} / ${fixed.p99} @${route.rate}`,
        route.target,
        String(ours.bad + fixed.bad),
      ]);
      console.log(rows[rows.length - 1]?.join(' | '));
    }
    console.log(
      '\n| route | bytes | Rolecall req/s | bare Fastify req/s | share (≥ 50%) | p99 closed loop | p50 / p99 at fixed rate | p99 target | non-2xx |',
    );
    console.log('|---|---|---|---|---|---|---|---|---|');
    for (const row of rows) console.log(`| ${row.join(' | ')} |`);

    const gatewayRss = rssOf(gateway.child.pid);
    const brokerRss = rssOf(stack.services.find((s) => s.name === 'broker')?.child.pid);
    console.log(
      `\nRedis: ${seeded.bytesPerRole.toFixed(0)} bytes per role (target ≤ 2048), ${seeded.bytesPerItem.toFixed(0)} bytes per resource (INFO used_memory delta)`,
    );
    console.log(
      `RSS after the run: gateway ${gatewayRss.toFixed(0)} MiB, broker ${brokerRss.toFixed(0)} MiB`,
    );
    console.log(
      `load average after: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
    );
    const warnings = gateway
      .output()
      .split('\n')
      .filter((line) => line.includes('"level":40') || line.includes('"level":50'));
    if (warnings.length > 0) console.log(`gateway warnings:\n${warnings.slice(-20).join('\n')}`);
    bare.child.disconnect();
    redis.disconnect();
  } finally {
    await stack.stop();
  }
}

await main();
