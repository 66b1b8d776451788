import type { NatsConnection } from '@nats-io/transport-node';
import type { CachedItem } from '@rolecall/shared/contracts';
import { silentLogger } from '@rolecall/shared/log';
import { type Redis } from '@rolecall/shared/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import type { GatewayApp } from '../src/routes/deps.js';
import { startSeededGateway, type SeededGateway } from './support/seeded-gateway.js';
import { ACCOUNTS, ADMIN, DEV, PROD, STAGING, USER, demoItems, policy } from './seed.js';

const prefix = 'gw-read:';
let gateway: SeededGateway | undefined;
let redis: Redis;
let nc: NatsConnection;
let app: GatewayApp;
const items: CachedItem[] = demoItems();
const sortedArns = items.map((i) => i.arn).sort();

beforeAll(async () => {
  // The typeahead is a CLI route; these tests call it with trusted headers, as the demo allows.
  gateway = await startSeededGateway({
    prefix,
    config: { auth: { cliAcceptsTrustedHeaders: true } },
    // Small chunks so that every walk crosses many chunk boundaries.
    limits: { chunkSize: 7 },
    seed: {
      items,
      accounts: ACCOUNTS,
      statuses: [
        {
          accountId: PROD,
          crawlType: 'iam',
          running: false,
          lastSuccessAt: '2026-03-01T10:00:00.000Z',
          lastSuccessCrawlId: 'crawl-1',
          itemCount: 4,
        },
        {
          accountId: PROD,
          crawlType: 's3',
          running: true,
          runningJobId: 'job-9',
          runningSince: '2026-03-01T11:00:00.000Z',
          itemCount: 1,
        },
        {
          accountId: DEV,
          crawlType: 'iam',
          running: false,
          itemCount: 0,
          lastError: {
            code: 'SPOKE_ROLE_UNAVAILABLE',
            message: 'cannot assume spoke role',
            at: '2026-03-01T10:01:00.000Z',
          },
        },
      ],
    },
  });
  ({ app, redis, nc } = gateway);
});

afterAll(async () => {
  await gateway?.stop();
});

const get = (url: string, headers: Record<string, string> = USER) =>
  app.inject({ method: 'GET', url, headers });

async function walkPages(query: string, limit: number): Promise<{ arns: string[]; pages: number }> {
  const arns: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const response = await get(
      `/api/v3/resources?limit=${limit}${query}${cursor === null ? '' : `&cursor=${cursor}`}`,
    );
    expect(response.statusCode).toBe(200);
    const body = response.json<{ data: { arn: string; accountName: string }[]; nextCursor: string | null }>();
    expect(body.data.length).toBeLessThanOrEqual(limit);
    arns.push(...body.data.map((d) => d.arn));
    cursor = body.nextCursor;
    pages += 1;
    expect(pages).toBeLessThan(500);
  } while (cursor !== null);
  return { arns, pages };
}

describe('GET /api/v3/resources', () => {
  it('walks every cached resource page by page in ARN order, with no duplicates or gaps', async () => {
    const { arns, pages } = await walkPages('', 10);
    expect(arns).toEqual(sortedArns);
    expect(pages).toBe(Math.ceil(sortedArns.length / 10));
  });

  it('returns no empty last page when the results end exactly at a page boundary', async () => {
    const { arns, pages } = await walkPages(`&account=${PROD}`, 5);
    const expected = items
      .filter((i) => i.accountId === PROD)
      .map((i) => i.arn)
      .sort();
    expect(expected).toHaveLength(5);
    expect(arns).toEqual(expected);
    expect(pages).toBe(1);
  });

  it('filters by type, account, tag and query together across pages', async () => {
    const { arns } = await walkPages(`&type=iam_role&account=${STAGING}&tag=tier%3Dgold&query=R-0`, 4);
    const expected = items
      .filter(
        (i) =>
          i.itemType === 'iam_role' &&
          i.accountId === STAGING &&
          i.tags.tier === 'gold' &&
          i.name.includes('r-0'),
      )
      .map((i) => i.arn)
      .sort();
    expect(expected.length).toBeGreaterThan(4);
    expect(arns).toEqual(expected);
  });

  it('matches a tag key alone and adds the account name', async () => {
    const response = await get('/api/v3/resources?tag=env&limit=50');
    const body = response.json<{ data: { arn: string; accountName: string; technology: string }[] }>();
    expect(body.data.map((d) => d.arn)).toEqual([
      `arn:aws:s3:::prod-logs`,
      `arn:aws:sns:us-west-2:${DEV}:alerts`,
    ]);
    expect(body.data.map((d) => d.accountName)).toEqual(['prod', 'dev']);
    expect(body.data[0]?.technology).toBe('AWS::S3::Bucket');
  });

  it('refuses malformed input with the matching code', async () => {
    const cases: [string, number, string][] = [
      ['/api/v3/resources?account=12345', 400, 'INVALID_ACCOUNT_ID'],
      ['/api/v3/resources?type=lambda', 400, 'VALIDATION_FAILED'],
      ['/api/v3/resources?limit=501', 400, 'VALIDATION_FAILED'],
      ['/api/v3/resources?limit=ten', 400, 'VALIDATION_FAILED'],
      ['/api/v3/resources?cursor=not-a-cursor', 400, 'INVALID_CURSOR'],
      ['/api/v3/resources?cursor=%2F%2F', 400, 'INVALID_CURSOR'],
      ['/api/v3/resources?tag=%3Dvalue', 400, 'VALIDATION_FAILED'],
      ['/api/v3/resources?colour=red', 400, 'VALIDATION_FAILED'],
      ['/api/v3/resources?type=iam_role&type=s3_bucket', 400, 'VALIDATION_FAILED'],
    ];
    for (const [url, status, code] of cases) {
      const response = await get(url);
      expect({ url, status: response.statusCode, code: response.json<{ code: string }>().code }).toEqual({
        url,
        status,
        code,
      });
    }
  });
});

describe('GET /api/v3/resources with a page scan limit', () => {
  it('still yields every match when a selective filter makes pages short', async () => {
    const limited = await buildApp({
      config: gateway!.config,
      redis,
      nc,
      log: silentLogger(),
      limits: { chunkSize: 5, pageScanLimit: 12 },
    });
    try {
      const found: string[] = [];
      let cursor: string | null = null;
      let shortPages = 0;
      do {
        const response = await limited.inject({
          method: 'GET',
          url: `/api/v3/resources?tag=tier%3Dsilver&limit=3${cursor === null ? '' : `&cursor=${cursor}`}`,
          headers: USER,
        });
        const body: { data: { arn: string }[]; nextCursor: string | null } = response.json();
        if (body.data.length < 3 && body.nextCursor !== null) shortPages += 1;
        found.push(...body.data.map((d) => d.arn));
        cursor = body.nextCursor;
      } while (cursor !== null);
      const expected = items
        .filter((i) => i.tags.tier === 'silver')
        .map((i) => i.arn)
        .sort();
      expect(found).toEqual(expected);
      expect(shortPages).toBeGreaterThan(0);
    } finally {
      await limited.close();
    }
  });
});

describe('POST /api/v2/policies', () => {
  const post = (payload: unknown) =>
    app.inject({ method: 'POST', url: '/api/v2/policies', headers: USER, payload: payload as object });

  it('lists every resource in ConsoleMe row shape when no filter is given', async () => {
    const response = await post({});
    expect(response.statusCode).toBe(200);
    const body = response.json<{
      totalCount: number;
      filteredCount: number;
      data: Record<string, unknown>[];
    }>();
    expect(body.totalCount).toBe(items.length);
    expect(body.filteredCount).toBe(items.length);
    expect(body.data.map((r) => r.arn)).toEqual(sortedArns);
    expect(body.data.find((r) => r.arn === 'arn:aws:s3:::prod-logs')).toEqual({
      account_id: PROD,
      account_name: 'prod',
      arn: 'arn:aws:s3:::prod-logs',
      technology: 'AWS::S3::Bucket',
      templated: false,
      errors: 0,
      last_seen: '2026-03-01T10:00:00.000Z',
    });
    expect(body.data.find((r) => String(r.arn).includes('instance/'))?.technology).toBe('AWS::EC2::Instance');
  });

  it('applies case-insensitive regex filters on several columns and counts before the limit', async () => {
    const response = await post({
      filters: { account_name: 'PROD|dev', arn: 'DEPLOY', technology: '^aws::iam::role$' },
      limit: 1,
    });
    const body = response.json<{ totalCount: number; filteredCount: number; data: { arn: string }[] }>();
    expect(body.totalCount).toBe(items.length);
    expect(body.filteredCount).toBe(2);
    expect(body.data.map((r) => r.arn)).toEqual([`arn:aws:iam::${PROD}:role/service/deploy-bot`]);
  });

  it('filters on account id and ignores empty patterns', async () => {
    const body = (await post({ filters: { account_id: `^${DEV}$`, arn: '' } })).json<{
      data: { arn: string }[];
    }>();
    expect(body.data.map((r) => r.arn)).toEqual([
      `arn:aws:iam::${DEV}:role/deploy-bot`,
      `arn:aws:sns:us-west-2:${DEV}:alerts`,
    ]);
  });

  it('refuses invalid and unsupported (back-reference, lookahead) and unknown filters, and bad limits', async () => {
    const cases: [unknown, string][] = [
      [{ filters: { arn: '(' } }, 'VALIDATION_FAILED'],
      [{ filters: { arn: '(a)\\1' } }, 'VALIDATION_FAILED'],
      [{ filters: { arn: 'role(?=/)' } }, 'VALIDATION_FAILED'],
      [{ filters: { arn: 'a'.repeat(300) } }, 'VALIDATION_FAILED'],
      [{ filters: { owner: 'x' } }, 'VALIDATION_FAILED'],
      [{ filters: { arn: 5 } }, 'VALIDATION_FAILED'],
      [{ limit: 10_001 }, 'VALIDATION_FAILED'],
      [{ limit: '5' }, 'VALIDATION_FAILED'],
      [{ extra: true }, 'VALIDATION_FAILED'],
    ];
    for (const [payload, code] of cases) {
      const response = await post(payload);
      expect(response.statusCode).toBe(400);
      const body = response.json<{ code: string; status: number; title: string }>();
      expect({ payload, code: body.code }).toEqual({ payload, code });
      expect(body.status).toBe(400);
      expect(body.title).toBe('Bad Request');
    }
  });
});

describe('GET /api/v2/roles/{accountId}/{roleName}', () => {
  it('returns a role in ConsoleMe principal shape with freshness', async () => {
    const response = await get(`/api/v2/roles/${PROD}/admin`);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      name: 'admin',
      account_id: PROD,
      account_name: 'prod',
      arn: `arn:aws:iam::${PROD}:role/admin`,
      inline_policies: [{ PolicyName: 'all', PolicyDocument: policy('*') }],
      assume_role_policy_document: policy('*'),
      managed_policies: [{ PolicyName: 'ReadOnly', PolicyArn: `arn:aws:iam::${PROD}:policy/team/ReadOnly` }],
      permissions_boundary: {
        PermissionsBoundaryType: 'Policy',
        PermissionsBoundaryArn: `arn:aws:iam::${PROD}:policy/boundary`,
      },
      tags: [
        { Key: 'consoleme-authorized', Value: 'admins' },
        { Key: 'team', Value: 'platform' },
      ],
      created_time: '2025-06-01T00:00:00.000Z',
      last_used_time: '2026-02-28T12:00:00.000Z',
      description: 'Break-glass admin',
      templated: false,
      last_seen: '2026-03-01T10:00:00.000Z',
      last_crawl_id: 'crawl-1',
    });
  });

  it('finds a role that has a path by its name, within the right account', async () => {
    const prod = (await get(`/api/v2/roles/${PROD}/deploy-bot`)).json<{
      arn: string;
      permissions_boundary: object;
    }>();
    expect(prod.arn).toBe(`arn:aws:iam::${PROD}:role/service/deploy-bot`);
    expect(prod.permissions_boundary).toEqual({});
    const dev = (await get(`/api/v2/roles/${DEV}/deploy-bot`)).json<{ arn: string }>();
    expect(dev.arn).toBe(`arn:aws:iam::${DEV}:role/deploy-bot`);
    const bulk = (await get(`/api/v2/roles/${STAGING}/r-136`)).json<{ arn: string }>();
    expect(bulk.arn).toBe(`arn:aws:iam::${STAGING}:role/bulk/r-136`);
  });

  it('answers 404 NOT_FOUND in problem shape for a role that is not cached', async () => {
    const response = await get(`/api/v2/roles/${DEV}/admin`);
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: 'NOT_FOUND', status: 404, title: 'Not Found' });
  });

  it('refuses an account id that is not 12 digits and a malformed role name', async () => {
    const bad = await get('/api/v2/roles/12345678901x/admin');
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ code: string }>().code).toBe('INVALID_ACCOUNT_ID');
    const badName = await get(`/api/v2/roles/${PROD}/${'x'.repeat(65)}`);
    expect(badName.json<{ code: string }>().code).toBe('VALIDATION_FAILED');
  });
});

describe('GET /api/v2/resources/{accountId}/{kind}/...', () => {
  it('returns an S3 bucket with Policy, TagSet and its attributes', async () => {
    const response = await get(`/api/v2/resources/${PROD}/s3/prod-logs`);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      arn: 'arn:aws:s3:::prod-logs',
      resource_details: {
        Policy: policy('arn:aws:s3:::prod-logs/*'),
        TagSet: [
          { Key: 'env', Value: 'prod' },
          { Key: 'team', Value: 'platform' },
        ],
        CreationDate: '2024-01-01T00:00:00.000Z',
      },
      account_id: PROD,
      account_name: 'prod',
      read_only: true,
      last_seen: '2026-03-01T10:00:00.000Z',
      last_crawl_id: 'crawl-1',
    });
  });

  it('returns SQS, SNS and managed policies by region or path', async () => {
    const sqs = (await get(`/api/v2/resources/${PROD}/sqs/us-east-1/orders`)).json<{
      arn: string;
      resource_details: Record<string, unknown>;
    }>();
    expect(sqs.arn).toBe(`arn:aws:sqs:us-east-1:${PROD}:orders`);
    expect(sqs.resource_details.QueueUrl).toBe(`https://sqs.us-east-1.amazonaws.com/${PROD}/orders`);
    const sns = (await get(`/api/v2/resources/${DEV}/sns/us-west-2/alerts`)).json<{
      resource_details: Record<string, unknown>;
    }>();
    expect(sns.resource_details).toEqual({ Policy: null, TagSet: [{ Key: 'env', Value: 'dev' }] });
    const managed = (await get(`/api/v2/resources/${PROD}/managed_policy/team/ReadOnly`)).json<{
      arn: string;
      resource_details: Record<string, unknown>;
    }>();
    expect(managed.arn).toBe(`arn:aws:iam::${PROD}:policy/team/ReadOnly`);
    expect(managed.resource_details.Policy).toMatchObject({ Version: '2012-10-17' });
    expect(managed.resource_details.DefaultVersionId).toBe('v3');
  });

  it('answers 404 for what is not cached, including a bucket asked for under another account', async () => {
    for (const url of [
      `/api/v2/resources/${DEV}/s3/prod-logs`,
      `/api/v2/resources/${PROD}/sqs/us-west-2/orders`,
      `/api/v2/resources/${PROD}/managed_policy/ReadOnly`,
    ]) {
      const response = await get(url);
      expect({ url, status: response.statusCode }).toEqual({ url, status: 404 });
      expect(response.json<{ code: string }>().code).toBe('NOT_FOUND');
    }
  });

  it('refuses malformed resource addresses', async () => {
    const cases: [string, string][] = [
      [`/api/v2/resources/${PROD}/lambda/fn`, 'VALIDATION_FAILED'],
      [`/api/v2/resources/${PROD}/s3/Bad_Bucket`, 'INVALID_ARN'],
      [`/api/v2/resources/${PROD}/sqs/orders`, 'INVALID_ARN'],
      [`/api/v2/resources/${PROD}/sns/not a region/x`, 'INVALID_ARN'],
      ['/api/v2/resources/abc/s3/prod-logs', 'INVALID_ACCOUNT_ID'],
    ];
    for (const [url, code] of cases) {
      const response = await get(encodeURI(url));
      expect({ url, status: response.statusCode, code: response.json<{ code: string }>().code }).toEqual({
        url,
        status: 400,
        code,
      });
    }
  });
});

describe('typeahead', () => {
  it('GET /api/v2/typeahead/resources finds ARNs by substring, with filters and both formats', async () => {
    expect((await get('/api/v2/typeahead/resources?typeahead=DEPLOY')).json()).toEqual(
      [`arn:aws:iam::${PROD}:role/service/deploy-bot`, `arn:aws:iam::${DEV}:role/deploy-bot`].sort(),
    );
    expect(
      (await get(`/api/v2/typeahead/resources?typeahead=deploy&account_id=${DEV}&ui_formatted=true`)).json(),
    ).toEqual([{ title: `arn:aws:iam::${DEV}:role/deploy-bot` }]);
    expect(
      (await get(`/api/v2/typeahead/resources?typeahead=prod&account_id=${PROD}&resource_type=s3`)).json(),
    ).toEqual(['arn:aws:s3:::prod-logs']);
    expect((await get('/api/v2/typeahead/resources?typeahead=a&region=us-west-2')).json()).toEqual([
      `arn:aws:sns:us-west-2:${DEV}:alerts`,
    ]);
    const limited = (await get('/api/v2/typeahead/resources?typeahead=role/bulk')).json<string[]>();
    expect(limited).toHaveLength(20);
    const missing = await get('/api/v2/typeahead/resources');
    expect(missing.json<{ code: string }>().code).toBe('VALIDATION_FAILED');
  });

  it('GET /api/v1/policies/typeahead answers each kind in ConsoleMe shape', async () => {
    const t = async (query: string) => (await get(`/api/v1/policies/typeahead?${query}`)).json<unknown>();
    expect(await t('search=LOGS&resource=s3')).toEqual([{ title: 'prod-logs', account_id: PROD }]);
    expect(await t('search=logs&resource=s3&show_full_arn_for_s3_buckets=true')).toEqual([
      { title: 'arn:aws:s3:::prod-logs', account_id: PROD },
    ]);
    expect(await t('search=ord&resource=sqs')).toEqual([
      { title: `arn:aws:sqs:us-east-1:${PROD}:orders`, account_id: PROD },
    ]);
    expect(await t('search=alert&resource=sns')).toEqual([
      { title: `arn:aws:sns:us-west-2:${DEV}:alerts`, account_id: DEV },
    ]);
    expect(await t(`search=deploy&resource=iam_arn&account_id=${DEV}`)).toEqual([
      { title: `arn:aws:iam::${DEV}:role/deploy-bot` },
    ]);
    expect(await t('search=deploy&resource=iam_role')).toEqual([
      { title: 'service/deploy-bot' },
      { title: 'deploy-bot' },
    ]);
    expect(await t('search=r-1&resource=iam_role&limit=3')).toEqual([
      { title: 'bulk/r-100' },
      { title: 'bulk/r-101' },
      { title: 'bulk/r-102' },
    ]);
    expect(await t('search=PRO&resource=account')).toEqual([{ title: `prod (${PROD})` }]);
  });

  it('refuses the app kind, naming the supported ones', async () => {
    const response = await get('/api/v1/policies/typeahead?search=x&resource=app');
    expect(response.statusCode).toBe(400);
    const body = response.json<{ code: string; message: string }>();
    expect(body.code).toBe('VALIDATION_FAILED');
    expect(body.message).toContain('s3, sqs, sns, iam_arn, iam_role, account');
  });
});

describe('GET /api/v3/cache/status', () => {
  it('answers one row per account and crawl type, sorted by account name then type', async () => {
    const response = await get('/api/v3/cache/status');
    expect(response.statusCode).toBe(200);
    const rows = response.json<{ data: Record<string, unknown>[] }>().data;
    const types = ['config', 'iam', 's3', 'sns', 'sqs'];
    expect(rows.map((r) => `${String(r.accountName)}/${String(r.crawlType)}`)).toEqual(
      ['dev', 'prod', 'staging'].flatMap((name) => types.map((t) => `${name}/${t}`)),
    );
    const row = (name: string, type: string) =>
      rows.find((r) => r.accountName === name && r.crawlType === type);
    expect(row('prod', 'iam')).toEqual({
      accountId: PROD,
      accountName: 'prod',
      crawlType: 'iam',
      running: false,
      lastSuccessAt: '2026-03-01T10:00:00.000Z',
      lastSuccessCrawlId: 'crawl-1',
      itemCount: 4,
    });
    expect(row('prod', 's3')).toMatchObject({
      running: true,
      runningSince: '2026-03-01T11:00:00.000Z',
      itemCount: 1,
    });
    expect(row('dev', 'iam')?.lastError).toEqual({
      code: 'SPOKE_ROLE_UNAVAILABLE',
      message: 'cannot assume spoke role',
      at: '2026-03-01T10:01:00.000Z',
    });
    expect(row('staging', 'sqs')).toEqual({
      accountId: STAGING,
      accountName: 'staging',
      crawlType: 'sqs',
      running: false,
      itemCount: 0,
    });
  });

  it('is open to any signed-in user but not to anonymous callers', async () => {
    expect((await get('/api/v3/cache/status', ADMIN)).statusCode).toBe(200);
    expect((await get('/api/v3/cache/status', {})).statusCode).toBe(401);
  });
});
