/**
 * bench/crawl: A accounts × R roles crawled end to end (crawler → NATS → cache → Redis + DynamoDB),
 * against the raw paginated SDK reads of the same data in the same run, at R and at 10×R roles.
 *
 *   npm run bench -- crawl            # defaults: 10 accounts, R = 100 and 1000
 *   BENCH_ACCOUNTS=10 BENCH_ROLES=300 npx tsx bench/crawl.ts
 *
 * Prints wall time of both, their ratio, and the peak resident memory (VmHWM) of the crawler and cache
 * processes. Target: pipeline within 1.5× of the raw reads; service memory flat as R grows.
 *
 * Two more baselines in the same run show what storage alone costs against this endpoint: the raw
 * reads plus one conditional PutItem per role (what the cache does per item), and plus BatchWriteItem
 * of every role, 25 a request (the least any cache keeping one DynamoDB item per role can write).
 */
import { connect } from '@nats-io/transport-node';
import { readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetAccountAuthorizationDetailsCommand, IAMClient, type RoleDetail } from '@aws-sdk/client-iam';
import { BatchWriteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { STSClient } from '@aws-sdk/client-sts';
import { assumeRole, awsClientConfig, ensureAllTables, tableNames } from '@rolecall/shared/aws';
import { crawlerOperations } from '@rolecall/shared/contracts';
import { request } from '@rolecall/shared/nats';
import { createRedis, redisKeys } from '@rolecall/shared/redis';
import { MOTO_CREDENTIALS, seedDemoOrganization } from '@rolecall/testing';
import { startStack, type Stack } from '../test/support/stack.js';

const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? 10);
const ROLES = Number(process.env.BENCH_ROLES ?? 100);
const CONCURRENCY = 4;

interface Run {
  roles: number;
  rawMs: number;
  rawWithWritesMs: number;
  rawWithBatchWritesMs: number;
  pipelineMs: number;
  rolesSeen: number;
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
    const credentials = await assumeRole(sts, {
      roleArn: `arn:aws:iam::${accountId}:role/RolecallSpoke`,
      sessionName: 'bench-raw',
    });
    const iam = new IAMClient(awsClientConfig('iam', { region: 'us-east-1', endpointUrl, credentials }));
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
  const stack = await startStack({ services: ['cache', 'crawler'] });
  try {
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

    let started = performance.now();
    const rolesSeen = await rawReads(stack.env.moto.url, accountIds);
    const rawMs = performance.now() - started;

    const dynamo = new DynamoDBClient(
      awsClientConfig('dynamodb', {
        region: 'us-east-1',
        endpointUrl: stack.env.moto.url,
        credentials: MOTO_CREDENTIALS,
      }),
    );
    const doc = DynamoDBDocumentClient.from(dynamo, {
      marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: true },
    });
    // Same table layout as the cache's roles table, under a prefix of its own; each role one item with
    // its document gzipped, as the cache stores it.
    await ensureAllTables(dynamo, 'bench_raw_');
    const table = tableNames('bench_raw_').roles;
    const rowOf = (role: RoleDetail, accountId: string) => ({
      partition: `${accountId}#iam`,
      arn: role.Arn,
      body: gzipSync(JSON.stringify(role)),
    });
    started = performance.now();
    await rawReads(stack.env.moto.url, accountIds, (roles, accountId) =>
      pool(roles, 8, async (role) => {
        await doc.send(
          new PutCommand({
            TableName: table,
            Item: rowOf(role, accountId),
            ConditionExpression: 'attribute_not_exists(arn)',
          }),
        );
      }),
    );
    const rawWithWritesMs = performance.now() - started;

    await ensureAllTables(dynamo, 'bench_batch_');
    const batchTable = tableNames('bench_batch_').roles;
    started = performance.now();
    await rawReads(stack.env.moto.url, accountIds, async (roles, accountId) => {
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
    const rawWithBatchWritesMs = performance.now() - started;

    started = performance.now();
    await pipeline(stack, accountIds);
    const pipelineMs = performance.now() - started;

    const byName = (n: string) => stack.services.find((s) => s.name === n)?.child.pid;
    return {
      roles: rolesPerAccount,
      rawMs,
      rawWithWritesMs,
      rawWithBatchWritesMs,
      pipelineMs,
      rolesSeen,
      crawlerPeakMiB: await peakRssMiB(byName('crawler')),
      cachePeakMiB: await peakRssMiB(byName('cache')),
    };
  } finally {
    await stack.stop();
  }
}

console.log(`bench/crawl: ${ACCOUNTS} accounts, crawl concurrency ${CONCURRENCY}, moto at loopback`);
const runs: Run[] = [];
for (const roles of [ROLES, ROLES * 10]) runs.push(await runOnce(roles));

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
console.log(
  '\nroles/account | roles read | raw reads | + PutItem each | + BatchWriteItem | pipeline | pipeline ÷ reads | ' +
    'reads+BatchWrite ÷ reads | pipeline ÷ reads+PutItem | crawler peak | cache peak',
);
for (const r of runs) {
  console.log(
    [
      r.roles,
      r.rolesSeen,
      seconds(r.rawMs),
      seconds(r.rawWithWritesMs),
      seconds(r.rawWithBatchWritesMs),
      seconds(r.pipelineMs),
      `${(r.pipelineMs / r.rawMs).toFixed(2)}×`,
      `${(r.rawWithBatchWritesMs / r.rawMs).toFixed(2)}×`,
      `${(r.pipelineMs / r.rawWithWritesMs).toFixed(2)}×`,
      `${r.crawlerPeakMiB} MiB`,
      `${r.cachePeakMiB} MiB`,
    ].join(' | '),
  );
}
const [small, large] = runs as [Run, Run];
console.log(
  `\nmemory growth at 10× roles: crawler ${(large.crawlerPeakMiB / small.crawlerPeakMiB).toFixed(2)}×, ` +
    `cache ${(large.cachePeakMiB / small.cachePeakMiB).toFixed(2)}× (flat = 1.00×)`,
);
