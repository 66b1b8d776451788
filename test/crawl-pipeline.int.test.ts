import { connect, type NatsConnection } from '@nats-io/transport-node';
import { CreateRoleCommand, DeleteRoleCommand, TagRoleCommand } from '@aws-sdk/client-iam';
import {
  CreateAccountCommand,
  ListAccountsCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsClientConfig } from '@rolecall/shared/aws';
import { createRedis } from '@rolecall/shared/redis';
import { MOTO_CREDENTIALS, seedDemoOrganization } from '@rolecall/testing';
import { iamIn } from './support/aws.js';
import { collectChanges } from './support/changes.js';
import { cacheStatus, refresh, waitForCrawl } from './support/crawls.js';
import { eventually, startStack, type Stack } from './support/stack.js';

const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

describe('the crawl pipeline, end to end with every service running as a process', () => {
  let stack: Stack;
  let nc: NatsConnection;
  let memberAccounts: { id: string; name: string }[];
  let allAccounts: { id: string; name: string }[];

  beforeAll(async () => {
    stack = await startStack();
    const org = await seedDemoOrganization({ endpointUrl: stack.env.moto.url, region: 'us-east-1' });
    allAccounts = org.accounts;
    memberAccounts = org.accounts.filter((a) => a.id !== org.managementAccountId);
    nc = await connect({ servers: stack.env.nats.url });
  });
  afterAll(async () => {
    await nc?.close();
    await stack?.stop();
  });

  it('crawls every account of the organization and serves what it found through the API', async () => {
    expect(memberAccounts.length).toBeGreaterThanOrEqual(3);
    const requestedAt = new Date().toISOString();
    const crawl = await refresh(stack);
    expect(new Set(crawl.jobs.map((j) => j.accountId))).toEqual(new Set(allAccounts.map((a) => a.id)));
    const rows = await waitForCrawl(stack, crawl, requestedAt);
    for (const row of rows)
      expect(row, `${row.accountId}:${row.crawlType}`).toMatchObject({ lastSuccessCrawlId: crawl.crawlId });

    for (const account of memberAccounts) {
      const response = await stack.api(`/api/v3/resources?type=iam_role&account=${account.id}&limit=500`);
      const body = (await response.json()) as { data: { arn: string; accountId: string }[] };
      expect(body.data.length, account.name).toBeGreaterThanOrEqual(15);
      expect(body.data.every((r) => r.accountId === account.id)).toBe(true);
      const iamRow = rows.find((r) => r.accountId === account.id && r.crawlType === 'iam');
      expect(iamRow?.itemCount).toBeGreaterThanOrEqual(15);
    }
    const buckets = (await (await stack.api('/api/v3/resources?type=s3_bucket&limit=500')).json()) as {
      data: unknown[];
    };
    const queues = (await (await stack.api('/api/v3/resources?type=sqs_queue&limit=500')).json()) as {
      data: { region: string }[];
    };
    expect(buckets.data.length).toBeGreaterThan(0);
    expect(new Set(queues.data.map((q) => q.region))).toEqual(new Set(['us-east-1', 'us-west-2']));
  });

  it('shows a role added, changed and deleted in AWS after the next crawl, with exactly one event for each', async () => {
    const account = memberAccounts[0]!;
    const iam = await iamIn(stack.env.moto.url, account.id);
    const arn = `arn:aws:iam::${account.id}:role/e2e-lifecycle`;
    const events = await collectChanges(nc, `cache.resource.changed.iam_role.${account.id}`);
    const crawlIam = async () => {
      const requestedAt = new Date().toISOString();
      const crawl = await refresh(stack, { accountIds: [account.id], resourceTypes: ['iam'] });
      await waitForCrawl(stack, crawl, requestedAt);
      return requestedAt;
    };
    const role = async () => stack.api(`/api/v2/roles/${account.id}/e2e-lifecycle`);
    const listedRoles = async () =>
      (
        (await (
          await stack.api(`/api/v3/resources?type=iam_role&account=${account.id}&limit=500`)
        ).json()) as {
          data: { arn: string; lastSeenAt: string }[];
        }
      ).data;

    await iam.send(new CreateRoleCommand({ RoleName: 'e2e-lifecycle', AssumeRolePolicyDocument: TRUST }));
    await crawlIam();
    expect((await role()).status).toBe(200);
    await eventually(
      () => (events.forArn(arn).length >= 1 ? true : undefined),
      () => 'no created event',
    );

    await iam.send(
      new TagRoleCommand({ RoleName: 'e2e-lifecycle', Tags: [{ Key: 'team', Value: 'payments' }] }),
    );
    await crawlIam();
    const changed = (await (await role()).json()) as { tags: { Key: string; Value: string }[] };
    expect(changed.tags).toContainEqual({ Key: 'team', Value: 'payments' });

    expect((await listedRoles()).map((r) => r.arn)).toContain(arn);
    await iam.send(new DeleteRoleCommand({ RoleName: 'e2e-lifecycle' }));
    await crawlIam();
    expect((await role()).status).toBe(404);
    // The gateway's in-memory index drops it too: the deletion matches the copy it holds.
    await eventually(
      async () => ((await listedRoles()).some((r) => r.arn === arn) ? undefined : true),
      () => 'the deleted role is still listed',
    );

    // A quiet crawl with nothing changed publishes nothing more, and writes nothing: yet every role
    // the list shows was seen by it (its partition's last complete crawl).
    const quietAt = await crawlIam();
    const listed = await listedRoles();
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.filter((r) => r.lastSeenAt < quietAt)).toEqual([]);
    await eventually(
      () => (events.forArn(arn).length >= 3 ? true : undefined),
      () => JSON.stringify(events.forArn(arn)),
    );
    await new Promise((r) => setTimeout(r, 1000));
    expect(events.forArn(arn).map((e) => e.change)).toEqual(['created', 'updated', 'deleted']);
    const updated = events.forArn(arn)[1]!;
    expect(updated.before?.tags).toEqual({});
    expect(updated.after?.tags).toEqual({ team: 'payments' });
    expect(events.changes.filter((c) => c.arn !== arn)).toEqual([]);
    await events.stop();
  });

  it('refills an emptied Redis from DynamoDB when the cache service starts, before any new crawl', async () => {
    const before = (await (await stack.api('/api/v3/resources?limit=500')).json()) as {
      data: { arn: string }[];
    };
    expect(before.data.length).toBeGreaterThan(0);
    const successes = (rows: Awaited<ReturnType<typeof cacheStatus>>) =>
      rows.map((r) => `${r.accountId}:${r.crawlType}:${r.lastSuccessCrawlId ?? '-'}:${r.itemCount}`).sort();
    const statusBefore = successes(await cacheStatus(stack));
    const redis = createRedis(stack.env.redis.url, 'test');
    await redis.flushall();
    const cache = stack.services.find((s) => s.name === 'cache')!;
    await cache.stop();
    stack.services.splice(stack.services.indexOf(cache), 1);
    await stack.start('cache');
    const after = await eventually(
      async () => {
        const page = (await (await stack.api('/api/v3/resources?limit=500')).json()) as {
          data: { arn: string }[];
        };
        return page.data.length === before.data.length ? page : undefined;
      },
      () => 'Redis was not refilled',
    );
    expect(after.data.map((r) => r.arn)).toEqual(before.data.map((r) => r.arn));
    // Statuses are refilled too (after the items), with the same last successful crawls and counts.
    await eventually(
      async () =>
        JSON.stringify(successes(await cacheStatus(stack))) === JSON.stringify(statusBefore)
          ? true
          : undefined,
      async () => `status not refilled: ${JSON.stringify(successes(await cacheStatus(stack)))}`,
    );
    redis.disconnect();
  });

  it('reports an account whose spoke role is missing, and still crawls the others; a new account needs no restart', async () => {
    const organizations = new OrganizationsClient(
      awsClientConfig('organizations', {
        region: 'us-east-1',
        endpointUrl: stack.env.moto.url,
        credentials: MOTO_CREDENTIALS,
      }),
    );
    await organizations.send(
      new CreateAccountCommand({ AccountName: 'no-spoke', Email: 'no-spoke@example.com' }),
    );
    const listed = await organizations.send(new ListAccountsCommand({}));
    const newcomer = listed.Accounts!.find((a) => a.Name === 'no-spoke')!;

    const requestedAt = new Date().toISOString();
    const crawl = await refresh(stack, { resourceTypes: ['iam'] });
    expect(crawl.jobs.map((j) => j.accountId)).toContain(newcomer.Id);
    const rows = await waitForCrawl(stack, crawl, requestedAt);
    const failed = rows.find((r) => r.accountId === newcomer.Id)!;
    expect(failed.lastError?.code).toBe('SPOKE_ROLE_UNAVAILABLE');
    expect(failed.accountName).toBe('no-spoke');
    for (const row of rows.filter((r) => r.accountId !== newcomer.Id)) {
      expect(row.lastSuccessCrawlId, row.accountId).toBe(crawl.crawlId);
    }
  });
});
