/**
 * bench/crawl: A accounts × R roles crawled end to end (crawler → NATS → cache → Redis + DynamoDB), at R
 * and at 10×R roles, three crawls each: the first, a recrawl with nothing changed, and a recrawl after 1%
 * of the roles changed (a tag added in AWS).
 *
 *   npm run bench -- crawl            # defaults: 10 accounts, R = 100 and 1000
 *   BENCH_ACCOUNTS=10 BENCH_ROLES=300 npx tsx bench/crawl.ts
 *
 * In the same run, beside each crawl: the raw paginated SDK reads of the same data (measured just before
 * it), and once per R the raw reads plus BatchWriteItem of every role, 25 a request (the least any store
 * keeping one DynamoDB item per role can write: the floor of a first crawl). Counted per crawl: the cache's
 * DynamoDB write requests and the items they wrote (a proxy between the cache and moto reads each
 * request), and Redis's data-changing commands (INFO commandstats). Peak resident memory (VmHWM) of the
 * crawler and the cache at R and 10×R.
 *
 * Targets (issue 12): unchanged recrawl ≤ 1.2× the raw reads with 0 per-item DynamoDB writes; 1%-changed
 * recrawl ≤ 1.3× the raw reads; first crawl ≤ 1.3× the reads+BatchWrite floor; the cache's peak at 10×R
 * ≤ 1.15× its peak at R.
 */
import { connect } from '@nats-io/transport-node';
import { readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  GetAccountAuthorizationDetailsCommand,
  IAMClient,
  paginateListRoles,
  TagRoleCommand,
  type RoleDetail,
} from '@aws-sdk/client-iam';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { STSClient } from '@aws-sdk/client-sts';
import { assumeRole, awsClientConfig, ensureAllTables, tableNames } from '@rolecall/shared/aws';
import { crawlerOperations } from '@rolecall/shared/contracts';
import { request } from '@rolecall/shared/nats';
import { createRedis, redisKeys } from '@rolecall/shared/redis';
import { MOTO_CREDENTIALS, seedDemoOrganization } from '@rolecall/testing';
import { startStack, type Stack } from '../test/support/stack.js';
import {
  redisCommandCalls,
  redisWritesBetween,
  startDynamoWriteCounter,
  type DynamoWrites,
} from './support/write-counters.js';

const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? 10);
const ROLES = Number(process.env.BENCH_ROLES ?? 100);
const CONCURRENCY = 4;

type CrawlKind = 'first crawl' | 'recrawl, nothing changed' | 'recrawl, 1% changed';

interface CrawlRun {
  kind: CrawlKind;
  rawMs: number;
  pipelineMs: number;
  dynamo: DynamoWrites;
  /** Item writes to the roles and resources tables (the rest is crawl bookkeeping). */
  itemWrites: number;
  redisWrites: number;
  changedRoles: number;
}

interface Run {
  roles: number;
  rolesSeen: number;
  floorMs: number;
  crawls: CrawlRun[];
  crawlerPeakMiB: number;
  cachePeakMiB: number;
}

async function peakRssMiB(pid: number | undefined): Promise<number> {
  if (!pid) return NaN;
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return Math.round((kb / 1024) * 10) / 10;
}

async function pool<T>(items: T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: size }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
    }),
  );
}

async function spokeIam(sts: STSClient, endpointUrl: string, accountId: string): Promise<IAMClient> {
  const credentials = await assumeRole(sts, {
    roleArn: `arn:aws:iam::${accountId}:role/RolecallSpoke`,
    sessionName: 'bench-raw',
  });
  return new IAMClient(awsClientConfig('iam', { region: 'us-east-1', endpointUrl, credentials }));
}

/** Changes 1% of each account's roles in AWS (a new tag each), so the next crawl finds them changed. */
async function changeOnePercent(endpointUrl: string, accountIds: string[], run: string): Promise<number> {
  const sts = new STSClient(
    awsClientConfig('sts', { region: 'us-east-1', endpointUrl, credentials: MOTO_CREDENTIALS }),
  );
  let changed = 0;
  await pool(accountIds, CONCURRENCY, async (accountId) => {
    const iam = await spokeIam(sts, endpointUrl, accountId);
    const names: string[] = [];
    for await (const page of paginateListRoles({ client: iam }, {})) {
      for (const role of page.Roles ?? []) if (role.RoleName) names.push(role.RoleName);
    }
    names.sort();
    const step = 100;
    for (let i = step - 1; i < names.length; i += step) {
      await iam.send(new TagRoleCommand({ RoleName: names[i], Tags: [{ Key: 'bench-change', Value: run }] }));
      changed += 1;
    }
  });
  return changed;
}

/**
 * The baseline: what any tool must do to read the same roles — assume the spoke role, page through IAM.
 * With `store`, each page of roles is also written to DynamoDB before the next page is read.
 */
async function rawReads(
  endpointUrl: string,
  accountIds: string[],
  store?: (roles: RoleDetail[], accountId: string) => Promise<void>,
): Promise<number> {
  const sts = new STSClient(
    awsClientConfig('sts', { region: 'us-east-1', endpointUrl, credentials: MOTO_CREDENTIALS }),
  );
  let roles = 0;
  await pool(accountIds, CONCURRENCY, async (accountId) => {
    const iam = await spokeIam(sts, endpointUrl, accountId);
    let marker: string | undefined;
    do {
      const page = await iam.send(
        new GetAccountAuthorizationDetailsCommand({
          Filter: ['Role', 'User', 'Group', 'LocalManagedPolicy'],
          Marker: marker,
        }),
      );
      roles += page.RoleDetailList?.length ?? 0;
      if (store) await store(page.RoleDetailList ?? [], accountId);
      marker = page.IsTruncated ? page.Marker : undefined;
    } while (marker);
  });
  return roles;
}

async function pipeline(stack: Stack, accountIds: string[]): Promise<void> {
  const nc = await connect({ servers: stack.env.nats.url });
  const redis = createRedis(stack.env.redis.url, 'bench');
  const keys = redisKeys('rc:');
  try {
    const reply = await request(
      nc,
      crawlerOperations.startCrawl,
      { accountIds, crawlTypes: ['iam'], requestedBy: 'bench' },
      { source: 'bench' },
    );
    for (;;) {
      const rows = await redis.hmget(keys.crawlStatus, ...accountIds.map((id) => `${id}:iam`));
      const done = rows.filter((row) => {
        const status = row
          ? (JSON.parse(row) as { lastSuccessCrawlId?: string; lastError?: unknown })
          : undefined;
        return status?.lastSuccessCrawlId === reply.crawlId;
      }).length;
      if (done === accountIds.length) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    redis.disconnect();
    await nc.close();
  }
}

async function runOnce(rolesPerAccount: number): Promise<Run> {
  const stack = await startStack({ services: ['crawler'] });
  const counter = await startDynamoWriteCounter(stack.env.moto.url);
  const redis = createRedis(stack.env.redis.url, 'bench-counter');
  try {
    // The cache's AWS calls pass through the counting proxy; everything else reaches moto directly.
    await stack.start('cache', 'cache', { AWS_ENDPOINT_URL: counter.url });
    const names = Array.from({ length: ACCOUNTS }, (_, i) => `bench-${String(i + 1).padStart(2, '0')}`);
    process.stdout.write(`  seeding ${ACCOUNTS} accounts × ${rolesPerAccount} roles into moto… `);
    const org = await seedDemoOrganization({
      endpointUrl: stack.env.moto.url,
      region: 'us-east-1',
      memberAccountNames: names,
      rolesPerAccount,
      withResources: false,
    });
    const accountIds = org.accounts.filter((a) => a.name !== 'management').map((a) => a.id);
    console.log('done');
    const endpoint = stack.env.moto.url;

    const dynamo = new DynamoDBClient(
      awsClientConfig('dynamodb', {
        region: 'us-east-1',
        endpointUrl: endpoint,
        credentials: MOTO_CREDENTIALS,
      }),
    );
    const doc = DynamoDBDocumentClient.from(dynamo, {
      marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: true },
    });
    // Same table layout as the cache's roles table, under a prefix of its own; each role one item with
    // its document gzipped, as the cache stores it.
    await ensureAllTables(dynamo, 'bench_batch_');
    const batchTable = tableNames('bench_batch_').roles;
    const rowOf = (role: RoleDetail, accountId: string) => ({
      partition: `${accountId}#iam`,
      arn: role.Arn,
      body: gzipSync(JSON.stringify(role)),
    });
    let started = performance.now();
    const rolesSeen = await rawReads(endpoint, accountIds, async (roles, accountId) => {
      const chunks = Array.from({ length: Math.ceil(roles.length / 25) }, (_, i) =>
        roles.slice(i * 25, i * 25 + 25),
      );
      await pool(chunks, 4, async (chunk) => {
        let pending = chunk.map((role) => ({ PutRequest: { Item: rowOf(role, accountId) } }));
        while (pending.length > 0) {
          const result = await doc.send(new BatchWriteCommand({ RequestItems: { [batchTable]: pending } }));
          pending = (result.UnprocessedItems?.[batchTable] ?? []) as typeof pending;
        }
      });
    });
    const floorMs = performance.now() - started;
    dynamo.destroy();

    const stackTables = tableNames('test_');
    const itemTables = new Set([stackTables.roles, stackTables.resources]);
    const crawls: CrawlRun[] = [];
    for (const kind of ['first crawl', 'recrawl, nothing changed', 'recrawl, 1% changed'] as const) {
      const changedRoles =
        kind === 'recrawl, 1% changed' ? await changeOnePercent(endpoint, accountIds, 'r1') : 0;
      started = performance.now();
      await rawReads(endpoint, accountIds);
      const rawMs = performance.now() - started;

      counter.take();
      const before = await redisCommandCalls(redis);
      started = performance.now();
      await pipeline(stack, accountIds);
      const pipelineMs = performance.now() - started;
      const dynamoWrites = counter.take();
      const redisWrites = redisWritesBetween(before, await redisCommandCalls(redis));
      const itemWrites = Object.entries(dynamoWrites.itemsByTable)
        .filter(([table]) => itemTables.has(table))
        .reduce((sum, [, n]) => sum + n, 0);
      crawls.push({ kind, rawMs, pipelineMs, dynamo: dynamoWrites, itemWrites, redisWrites, changedRoles });
      console.log(
        `  ${kind}: ${(pipelineMs / 1000).toFixed(2)} s (raw reads ${(rawMs / 1000).toFixed(2)} s)`,
      );
    }

    const byName = (n: string) => stack.services.find((s) => s.name === n)?.child.pid;
    return {
      roles: rolesPerAccount,
      rolesSeen,
      floorMs,
      crawls,
      crawlerPeakMiB: await peakRssMiB(byName('crawler')),
      cachePeakMiB: await peakRssMiB(byName('cache')),
    };
  } finally {
    redis.disconnect();
    await stack.stop();
    await counter.close();
  }
}

const load = (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');
console.log(
  `bench/crawl: ${ACCOUNTS} accounts, crawl concurrency ${CONCURRENCY}, moto at loopback; load average ${load}`,
);
const runs: Run[] = [];
for (const roles of [ROLES, ROLES * 10]) runs.push(await runOnce(roles));

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
const targets: Record<CrawlKind, string> = {
  'first crawl': '≤ 1.3× reads+BatchWrite',
  'recrawl, nothing changed': '≤ 1.2× raw reads, 0 item writes',
  'recrawl, 1% changed': '≤ 1.3× raw reads',
};
console.log(
  '\nroles/account | crawl | changed roles | raw reads | pipeline | ÷ raw reads | ÷ reads+BatchWrite | ' +
    'DynamoDB write requests | DynamoDB item writes | Redis write commands | target',
);
for (const r of runs) {
  for (const c of r.crawls) {
    const operations = Object.entries(c.dynamo.byOperation)
      .map(([op, n]) => `${n} ${op}`)
      .join(', ');
    console.log(
      [
        r.roles,
        c.kind,
        c.changedRoles,
        seconds(c.rawMs),
        seconds(c.pipelineMs),
        ratio(c.pipelineMs, c.rawMs),
        ratio(c.pipelineMs, r.floorMs),
        `${c.dynamo.requests} (${operations})`,
        c.itemWrites,
        c.redisWrites,
        targets[c.kind],
      ].join(' | '),
    );
  }
}
console.log('\nroles/account | roles read | reads+BatchWrite floor | crawler peak | cache peak');
for (const r of runs) {
  console.log(
    [r.roles, r.rolesSeen, seconds(r.floorMs), `${r.crawlerPeakMiB} MiB`, `${r.cachePeakMiB} MiB`].join(
      ' | ',
    ),
  );
}
const [small, large] = runs as [Run, Run];
console.log(
  `\nmemory growth at 10× roles: crawler ${ratio(large.crawlerPeakMiB, small.crawlerPeakMiB)}, ` +
    `cache ${ratio(large.cachePeakMiB, small.cachePeakMiB)} (target for the cache ≤ 1.15×; flat = 1.00×)`,
);
console.log(
  `load average at the end: ${(await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ')}`,
);
