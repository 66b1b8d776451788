import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { createServer, type Server } from 'node:http';
import { Writable } from 'node:stream';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IAMClient, ListRoleTagsCommand, paginateListRoles } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import {
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  ScanCommand,
} from '@aws-sdk/lib-dynamodb';
import { assumeRole, awsClientConfig, ensureAllTables, tableNames, toItemRow } from '@rolecall/shared/aws';
import { parseConfig } from '@rolecall/shared/config';
import {
  brokerOperations,
  brokerStreams,
  cacheEvents,
  cacheStreams,
  configStreams,
  type CachedItem,
  type Caller,
  type Channel,
} from '@rolecall/shared/contracts';
import { createLogger } from '@rolecall/shared/log';
import { connectNats, deadLetterStream, ensureStreams, publishEvent, request } from '@rolecall/shared/nats';
import { createRedis, redisKeys, type Redis } from '@rolecall/shared/redis';
import {
  eventually,
  MOTO_CREDENTIALS,
  seedDemoOrganization,
  startTestEnvironment,
  type DemoOrganization,
  type TestEnvironment,
} from '@rolecall/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNatsBroker } from '../../gateway/src/adapters/nats-broker.js';
import { createHubStsClient } from '../src/adapters/hub-sts-client.js';
import { createStsCredentialIssuer } from '../src/adapters/sts-credential-issuer.js';
import type { AssumeRoleRequest, CredentialIssuer } from '../src/domain/ports.js';
import { buildBrokerService, type BrokerService } from '../src/service.js';

const REGION = 'us-east-1';
const PREFIX = 'brokertest_';
const context = { sourceIp: '198.51.100.7', userAgent: 'weep/ Go-http-client/1.1', requestId: 'int-1' };
const alice: Caller = { user: 'alice@example.com', groups: ['engineering', 'payments'] };
const carol: Caller = { user: 'carol@example.com', groups: ['contractors'] };

let env: TestEnvironment;
let org: DemoOrganization;
let prod: string;
let nc: NatsConnection;
let redis: Redis;
let watchRedis: Redis;
let dynamo: DynamoDBClient;
let doc: DynamoDBDocumentClient;
let service: BrokerService;
let federation: Server;
let logged = '';
const assumeCalls: AssumeRoleRequest[] = [];
const cachedRoles = new Map<string, CachedItem>();

const aws = () => ({ region: REGION, endpointUrl: env.moto.url, credentials: MOTO_CREDENTIALS });
const arn = (account: string, path: string) => `arn:aws:iam::${account}:role/${path}`;

/** Reads every role of one account from moto into the cache's item shape. */
async function readRoles(accountId: string): Promise<CachedItem[]> {
  const sts = new STSClient(awsClientConfig('sts', aws()));
  const credentials = await assumeRole(sts, {
    roleArn: arn(accountId, 'OrganizationAccountAccessRole'),
    sessionName: 'broker-test',
  });
  const iam = new IAMClient(awsClientConfig('iam', { ...aws(), credentials }));
  const items: CachedItem[] = [];
  const at = new Date().toISOString();
  for await (const page of paginateListRoles({ client: iam }, {})) {
    for (const r of page.Roles ?? []) {
      const tags = await iam.send(new ListRoleTagsCommand({ RoleName: r.RoleName }));
      items.push({
        arn: r.Arn ?? '',
        itemType: 'iam_role',
        accountId,
        region: 'global',
        name: r.RoleName ?? '',
        tags: Object.fromEntries((tags.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
        details: {
          path: r.Path,
          roleId: r.RoleId,
          maxSessionDuration: r.MaxSessionDuration,
          assumeRolePolicyDocument: JSON.parse(
            decodeURIComponent(r.AssumeRolePolicyDocument ?? '{}'),
          ) as unknown,
          inlinePolicies: [],
          managedPolicies: [],
        },
        firstSeenAt: at,
        lastSeenAt: at,
        lastCrawlId: 'crawl-1',
        lastJobId: 'job-1',
        contentHash: 'h',
      });
    }
  }
  return items;
}

/** An item as the cache service stores it in the roles table. */
const cachedRoleRow = (item: CachedItem) =>
  toItemRow({ ...item, partition: `${item.accountId}#iam`, seenAt: item.lastSeenAt, writeId: 'w1' });
const putCachedRole = (item: CachedItem) =>
  doc.send(new PutCommand({ TableName: tableNames(PREFIX).roles, Item: cachedRoleRow(item) }));

const issue = (caller: Caller, requestedRole: string, channel: Channel = 'cli') =>
  request(
    nc,
    brokerOperations.issueCredentials,
    {
      caller,
      requestedRole,
      channel,
      context,
    },
    { source: 'test' },
  );

const eligible = async (caller: Caller, channel: Channel) =>
  (
    await request(
      nc,
      brokerOperations.eligibleRoles,
      { caller, channel },
      {
        source: 'test',
      },
    )
  ).roles;

beforeAll(async () => {
  env = await startTestEnvironment();
  org = await seedDemoOrganization({
    endpointUrl: env.moto.url,
    memberAccountNames: ['prod'],
    withResources: false,
  });
  prod = org.accounts.find((a) => a.name === 'prod')?.id ?? '';
  dynamo = new DynamoDBClient(awsClientConfig('dynamodb', aws()));
  doc = DynamoDBDocumentClient.from(dynamo);
  await ensureAllTables(dynamo, PREFIX);
  for (const item of await readRoles(prod)) {
    cachedRoles.set(item.name, item);
    await putCachedRole(item);
  }

  federation = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const session = JSON.parse(url.searchParams.get('Session') ?? '{}') as { sessionId?: string };
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ SigninToken: `token-for-${session.sessionId}` }));
  });
  await new Promise<void>((r) => federation.listen(0, '127.0.0.1', r));
  const address = federation.address();
  const federationUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/federation`;

  const config = parseConfig({
    environment: 'test',
    aws: { region: REGION, endpointUrl: env.moto.url, hubRoleArn: org.hubRoleArn },
    nats: { url: env.nats.url },
    redis: { url: env.redis.url, keyPrefix: 'bt:' },
    dynamodb: { tablePrefix: PREFIX },
    broker: { federationUrl, sessionDurationSeconds: 3600 },
  });
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logged += chunk.toString();
      done();
    },
  });
  const log = createLogger({ service: 'broker', level: 'debug', destination: sink });
  nc = await connectNats({ url: env.nats.url, name: 'broker-test', log });
  // The broker's own streams, as its main.ts creates them, and the cache's and gateway's it consumes.
  await ensureStreams(await jetstreamManager(nc), [
    brokerStreams.audit,
    deadLetterStream,
    cacheStreams.resourceChanges,
    configStreams.configChanges,
  ]);
  redis = createRedis(env.redis.url, 'broker-test');
  watchRedis = createRedis(env.redis.url, 'broker-test-watch');
  // The hub assumes the user's role, exactly as main.ts wires it; the wrapper records what STS was asked.
  const sts = createStsCredentialIssuer({
    sts: createHubStsClient({ aws: aws(), hubRoleArn: org.hubRoleArn }),
  });
  const issuer: CredentialIssuer = {
    assumeRole: (req) => {
      assumeCalls.push(req);
      return sts.assumeRole(req);
    },
  };
  service = buildBrokerService({
    config,
    nc,
    redis,
    watchRedis,
    dynamo,
    issuer,
    log,
    instance: 'broker-test',
  });
  await service.start();
});

afterAll(async () => {
  await service?.stop();
  await nc?.drain();
  await Promise.all([redis?.quit(), watchRedis?.quit()]);
  await new Promise<void>((r) => (federation ? federation.close(() => r()) : r()));
  await env?.stop();
});

describe('broker against NATS, Redis and moto', () => {
  it('builds the mapping from the cached roles: eligible roles of the demo users', async () => {
    const cli = (await eligible(alice, 'cli')).map((r) => `${r.roleName}${r.cliOnly ? ' (cli)' : ''}`);
    const console = (await eligible(alice, 'console')).map((r) => r.roleName);
    // support: engineering:alice; payments-worker: cli-only payments:alice; admin: admins only.
    expect(cli).toEqual(
      expect.arrayContaining(['support', 'readonly', 'payments-oncall', 'payments-worker (cli)']),
    );
    expect(console).toContain('support');
    expect(console).not.toContain('payments-worker');
    expect(cli.some((n) => n.startsWith('admin'))).toBe(false);
    expect(await eligible(carol, 'cli')).toEqual([]);
    const roles = await eligible({ user: 'BOB@example.com', groups: ['Data'] }, 'console');
    expect(roles.map((r) => r.roleName)).toContain('bob-sandbox');
    expect(roles[0]?.accountId).toBe(prod);
  });

  it('issues credentials that act as the role, named for the user, in the right account', async () => {
    const reply = await issue(alice, arn(prod, 'support'));
    expect(reply.outcome).toBe('issued');
    if (reply.outcome !== 'issued') return;
    expect(Number.isInteger(reply.credentials.expiration)).toBe(true);
    const asRole = new STSClient(
      awsClientConfig('sts', {
        region: REGION,
        endpointUrl: env.moto.url,
        credentials: {
          accessKeyId: reply.credentials.accessKeyId,
          secretAccessKey: reply.credentials.secretAccessKey,
          sessionToken: reply.credentials.sessionToken,
        },
      }),
    );
    const identity = await asRole.send(new GetCallerIdentityCommand({}));
    expect(identity.Account).toBe(prod);
    expect(identity.Arn).toBe(`arn:aws:sts::${prod}:assumed-role/support/alice@example.com`);
    // moto does not report SourceIdentity back, so the AssumeRole parameters are checked at the STS port.
    expect(assumeCalls.at(-1)).toMatchObject({
      roleArn: arn(prod, 'support'),
      sessionName: 'alice@example.com',
      sourceIdentity: 'alice@example.com',
      durationSeconds: 3600,
    });
    expect(logged).toContain(reply.credentials.accessKeyId);
    expect(logged).not.toContain(reply.credentials.secretAccessKey);
    expect(logged).not.toContain(reply.credentials.sessionToken);
  });

  it('refuses a role the user is not granted, and a cli-only role for the console', async () => {
    const calls = assumeCalls.length;
    expect(await issue(alice, arn(prod, 'admin'))).toMatchObject({
      outcome: 'refused',
      reason: 'not_eligible',
    });
    expect(await issue(carol, 'readonly')).toMatchObject({ outcome: 'refused', reason: 'no_matching_role' });
    const consoleReply = await request(
      nc,
      brokerOperations.consoleLogin,
      {
        caller: alice,
        roleQuery: arn(prod, 'service/payments-worker'),
        context,
      },
      { source: 'test' },
    );
    expect(consoleReply).toMatchObject({ outcome: 'refused', reason: 'not_eligible' });
    expect(assumeCalls.length).toBe(calls);
  });

  it('signs in to the console through the federation endpoint', async () => {
    const reply = await request(
      nc,
      brokerOperations.consoleLogin,
      {
        caller: alice,
        roleQuery: 'support',
        region: 'eu-west-1',
        context,
      },
      { source: 'test' },
    );
    expect(reply.outcome).toBe('signed_in');
    if (reply.outcome !== 'signed_in') return;
    const url = new URL(reply.url);
    expect(url.searchParams.get('Action')).toBe('login');
    expect(url.searchParams.get('SigninToken')).toMatch(/^token-for-/);
    expect(url.searchParams.get('Destination')).toBe('https://eu-west-1.console.aws.amazon.com/');
    expect(reply.expiresAt).toBeGreaterThan(Date.now() / 1000);
  });

  it('applies a tag change arriving as a cache change event, without a restart', async () => {
    const before = cachedRoles.get('admin') as CachedItem;
    const after: CachedItem = {
      ...before,
      tags: { ...before.tags, 'consoleme-authorized': 'admins:alice@example.com' },
      lastSeenAt: new Date().toISOString(),
    };
    await putCachedRole(after);
    await publishEvent(
      jetstream(nc),
      cacheEvents.resourceChanged,
      {
        change: 'updated',
        arn: after.arn,
        itemType: 'iam_role',
        accountId: prod,
        crawlId: 'crawl-2',
        jobId: 'job-2',
        before,
        after,
      },
      { source: 'test' },
    );
    await eventually(
      async () => ((await eligible(alice, 'console')).some((r) => r.arn === after.arn) ? true : undefined),
      'alice to be granted admin',
    );
    const access = await request(
      nc,
      brokerOperations.roleAccess,
      {
        roleArn: after.arn.toUpperCase(),
      },
      { source: 'test' },
    );
    expect(access).toEqual({ known: true, identities: ['admins', 'alice@example.com'] });
    expect(await issue(alice, after.arn)).toMatchObject({ outcome: 'issued' });
  });

  it('applies a dynamic-config save by its event, and refuses a stale sha with nothing written', async () => {
    const loaded = await service.configStore.load();
    const readonlyArn = arn(prod, 'readonly');
    const yaml = `group_mapping:\n  contractors:\n    cli_only_roles:\n      - ${readonlyArn}\ngroups:\n  can_edit_config: [admins]\n`;
    const saved = await service.configStore.save(yaml, loaded.sha256, 'admin@example.com');
    await eventually(
      async () =>
        (await eligible(carol, 'cli')).some((r) => r.arn === readonlyArn && r.cliOnly) ? true : undefined,
      'carol to be granted readonly for the CLI',
    );
    expect(await eligible(carol, 'console')).toEqual([]);

    const table = tableNames(PREFIX).dynamicConfig;
    const itemsBefore = (await doc.send(new ScanCommand({ TableName: table }))).Items?.length;
    await expect(
      service.configStore.save(`${yaml}\n# edit\n`, loaded.sha256, 'bob@example.com'),
    ).rejects.toMatchObject({
      code: 'CONFLICT',
      context: { currentSha256: saved.sha256 },
    });
    await expect(service.configStore.save(yaml, saved.sha256, 'bob@example.com')).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    await expect(
      service.configStore.save('group_mapping: [', saved.sha256, 'bob@example.com'),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    const master = await doc.send(new GetCommand({ TableName: table, Key: { id: 'master' } }));
    expect(master.Item).toMatchObject({ sha256: saved.sha256, updatedBy: 'admin@example.com' });
    expect((await doc.send(new ScanCommand({ TableName: table }))).Items?.length).toBe(itemsBefore);

    // The next save keeps the replaced version as history and takes the grant away again.
    await service.configStore.save('group_mapping: {}\n', saved.sha256, 'admin@example.com');
    expect((await service.configStore.history()).map((v) => v.sha256)).toContain(saved.sha256);
    await eventually(
      async () => ((await eligible(carol, 'cli')).length === 0 ? true : undefined),
      'grant removed',
    );
  });

  it('rebuilds the mapping from DynamoDB when Redis loses it', async () => {
    await redis.flushdb();
    const roles = await eligible(alice, 'console');
    expect(roles.map((r) => r.roleName)).toEqual(expect.arrayContaining(['support', 'admin']));
  });

  it('persists audit events, queryable by user, role and time with a cursor', async () => {
    const start = new Date(Date.now() - 1000).toISOString();
    await issue({ user: 'Dave@Example.com', groups: ['data'] }, 'data-analyst');
    await issue({ user: 'dave@example.com', groups: ['data'] }, 'bob-sandbox');
    await issue({ user: 'dave@example.com', groups: ['data'] }, 'readonly');
    const query = (data: { user?: string; role?: string; since?: string; cursor?: string; limit: number }) =>
      request(nc, brokerOperations.queryAudit, data, { source: 'test' });
    const all = await eventually(async () => {
      const page = await query({ user: 'DAVE@example.com', limit: 50 });
      // The intent is durable before STS is called; its completion lands a moment later.
      const settled = page.items.length === 3 && page.items.every((e) => e.outcome !== 'pending');
      return settled ? page.items : undefined;
    }, 'three settled audit events for dave');
    expect(all.map((e) => e.outcome).sort()).toEqual(['issued', 'issued', 'refused']);
    expect(all.every((e) => e.sourceIp === context.sourceIp && e.requestId === context.requestId)).toBe(true);
    const issuedEvent = all.find((e) => e.roleArn === arn(prod, 'data-analyst'));
    expect(issuedEvent).toMatchObject({ channel: 'cli', durationSeconds: 3600 });
    expect(issuedEvent?.accessKeyId).toBeTruthy();
    expect(JSON.stringify(all)).not.toMatch(/secretAccessKey|sessionToken/i);

    const paged: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await query({ user: 'dave@example.com', limit: 1, ...(cursor ? { cursor } : {}) });
      paged.push(...page.items.map((e) => e.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(paged).toEqual(all.map((e) => e.id));

    const byRole = await query({ role: arn(prod, 'data-analyst').toUpperCase(), since: start, limit: 10 });
    expect(byRole.items.map((e) => e.user)).toEqual(['dave@example.com']);
    expect(
      (
        await query({
          user: 'dave@example.com',
          since: new Date(Date.now() + 60_000).toISOString(),
          limit: 10,
        })
      ).items,
    ).toEqual([]);
    const recent = await query({ since: start, limit: 100 });
    expect(recent.items.filter((e) => e.user === 'dave@example.com')).toHaveLength(3);
  });
  it('answers a user granted more roles than one NATS message holds, page by page, and stays up', async () => {
    // 2,000 roles on long paths (IAM allows 512 characters), granted to one group: about 1.3 MB of answer.
    const template = cachedRoles.get('support') as CachedItem;
    const path = `/${'team-platform-shared-services/'.repeat(15)}`;
    const bulk = Array.from({ length: 2000 }, (_, i): CachedItem => {
      const name = `bulk-${String(i).padStart(4, '0')}`;
      return {
        ...template,
        arn: `arn:aws:iam::${prod}:role${path}${name}`,
        name,
        tags: { 'consoleme-authorized': 'bulk-readers' },
      };
    });
    for (let i = 0; i < bulk.length; i += 25) {
      const puts = bulk.slice(i, i + 25).map((item) => ({ PutRequest: { Item: cachedRoleRow(item) } }));
      await doc.send(new BatchWriteCommand({ RequestItems: { [tableNames(PREFIX).roles]: puts } }));
    }
    // The next request rebuilds the mapping from the table, as after a first start.
    await redis.del(redisKeys('bt:').authzReady);
    const dora: Caller = { user: 'dora@example.com', groups: ['bulk-readers'] };

    const { roles } = await createNatsBroker({ nc, timeoutMs: 30_000 }).eligibleRoles(dora, 'cli');
    expect(Buffer.byteLength(JSON.stringify(roles))).toBeGreaterThan(nc.info?.max_payload ?? Infinity);
    expect(roles.map((r) => r.arn)).toEqual(bulk.map((r) => r.arn).sort());
    expect(roles.every((r) => r.accountId === prod && !r.cliOnly && r.roleName.startsWith('bulk-'))).toBe(
      true,
    );

    // A caller that does not ask for pages is told why, at once, instead of waiting out a timeout.
    const refusal = await eligible(dora, 'cli').catch((error: unknown) => error);
    expect(refusal).toMatchObject({ code: 'INTERNAL' });
    expect(String(refusal)).toMatch(/page by page/);
    // And the broker still answers everyone else.
    expect((await eligible(alice, 'console')).map((r) => r.roleName)).toContain('support');
  });
});
