import {
  GetRoleCommand,
  GetRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  ListRoleTagsCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { GetBucketPolicyCommand, S3Client } from '@aws-sdk/client-s3';
import { STSClient } from '@aws-sdk/client-sts';
import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assumeRole, awsClientConfig } from '@rolecall/shared/aws';
import { createLogger } from '@rolecall/shared/log';
import { createRedis } from '@rolecall/shared/redis';
import { demoBucketNames, MOTO_CREDENTIALS, seedDemoOrganization, type DemoAccount } from '@rolecall/testing';
import { iamIn } from './support/aws.js';
import { refresh, waitForCrawl } from './support/crawls.js';
import { eventually, startStack, type Stack } from './support/stack.js';

const ADMIN = { user: 'admin@example.com', groups: ['admins', 'engineering'] };
const ALICE = { user: 'alice@example.com', groups: ['engineering', 'payments'] };
const BOB = { user: 'bob@example.com', groups: ['data', 'readonly'] };

type Who = { user: string; groups: string[] };

interface ExtendedRequest {
  id: string;
  version: number;
  request_status: string;
  changes: { changes: { id: string; change_type: string; status: string; error?: { code: string } }[] };
  approvals: unknown[];
  comments: unknown[];
}

const readPolicy = (statements: Record<string, unknown>[]) => ({
  Version: '2012-10-17',
  Statement: statements,
});

interface WebhookReceiver {
  url: string;
  /** The bodies posted so far, as text. */
  received: string[];
  /** Answer 500 to every post while true: Slack being down. */
  failing: boolean;
  close(): Promise<void>;
}

/** A local stand-in for a Slack incoming webhook, recording what Rolecall posts. */
async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const receiver: Omit<WebhookReceiver, 'url' | 'close'> = { received: [], failing: false };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (receiver.failing) {
        res.writeHead(500).end('down');
        return;
      }
      receiver.received.push(Buffer.concat(chunks).toString());
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${port}/hook`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

/** An S3 client acting inside `accountId` of moto, as test/support/aws.ts's iamIn does for IAM. */
async function s3In(endpointUrl: string, accountId: string): Promise<S3Client> {
  const sts = new STSClient(
    awsClientConfig('sts', { region: 'us-east-1', endpointUrl, credentials: MOTO_CREDENTIALS }),
  );
  const credentials = await assumeRole(sts, {
    roleArn: `arn:aws:iam::${accountId}:role/RolecallTestSetup`,
    sessionName: 'test-setup',
  });
  return new S3Client({
    ...awsClientConfig('s3', { region: 'us-east-1', endpointUrl, credentials }),
    forcePathStyle: true,
  });
}

const silentLog = createLogger({ service: 'test', level: 'silent' });

const decodeDocument = (text: string | undefined) =>
  JSON.parse(decodeURIComponent(text ?? '')) as { Statement: Record<string, unknown>[] };

describe('policy requests through the HTTP API, with every service running as a process', () => {
  let stack: Stack;
  let account: DemoAccount;
  let iam: IAMClient;
  let slack: WebhookReceiver;

  /** Every request this file made, to tell a request saved by mistake from one the list has not shown yet. */
  const made: string[] = [];
  const create = async (body: Record<string, unknown>, who: Who = ALICE) => {
    const response = await stack.api('/api/v2/request', { method: 'POST', body, ...who });
    const answer = { status: response.status, body: (await response.json()) as Record<string, unknown> };
    if (typeof answer.body.request_id === 'string') made.push(answer.body.request_id);
    return answer;
  };
  const modify = async (id: string, model: Record<string, unknown>, who: Who = ADMIN) => {
    const response = await stack.api(`/api/v2/requests/${id}`, {
      method: 'PUT',
      body: { modification_model: model },
      ...who,
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const getRequest = async (id: string, who: Who = ADMIN) => {
    const response = await stack.api(`/api/v2/requests/${id}`, who);
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      request: string;
      request_config: Record<string, boolean>;
      approval: { satisfied: boolean; summary: string };
    };
    return { ...body, request: JSON.parse(body.request) as ExtendedRequest };
  };
  const history = async (id: string) => {
    const response = await stack.api(`/api/v3/requests/${id}/events`);
    return ((await response.json()) as { items: { type: string; actor: string; status: string }[] }).items;
  };
  const requested = async (body: Record<string, unknown>, who: Who = ALICE) => {
    const created = await create({ justification: 'needed for the e2e test', ...body }, who);
    expect(created, JSON.stringify(created.body)).toMatchObject({ status: 200 });
    return created.body.request_id as string;
  };
  const role = async (name: string) => {
    const response = await stack.api(`/api/v2/roles/${account.id}/${name}`);
    expect(response.status).toBe(200);
    return (await response.json()) as {
      inline_policies: { PolicyName: string; PolicyDocument: unknown }[];
      managed_policies: { PolicyArn: string }[];
      permissions_boundary: { PermissionsBoundaryArn?: string } | Record<string, never>;
      assume_role_policy_document: unknown;
      tags: { Key: string; Value: string }[];
    };
  };
  const roleShows = <T>(name: string, check: (r: Awaited<ReturnType<typeof role>>) => T | undefined) =>
    eventually(
      async () => check(await role(name)),
      async () => `GET /api/v2/roles/${account.id}/${name}: ${JSON.stringify(await role(name))}`,
      30_000,
    );
  const inlineChange = (roleName: string, policyName: string, resource: string) => ({
    change_type: 'inline_policy',
    principal: principal(roleName),
    action: 'attach',
    policy_name: policyName,
    policy: {
      policy_document: readPolicy([{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: resource }]),
    },
  });
  const inlinePolicyNames = async (roleName: string) =>
    (await iam.send(new ListRolePoliciesCommand({ RoleName: roleName }))).PolicyNames ?? [];
  const listRequests = async () => {
    const response = await stack.api('/api/v2/requests', { method: 'POST', body: {} });
    expect(response.status).toBe(200);
    return ((await response.json()) as { data: { request_id: string; status: string }[] }).data;
  };
  /** The list, once it shows every request made so far (it is kept from events, a moment behind). */
  const caughtUpList = () =>
    eventually(
      async () => {
        const rows = await listRequests();
        const ids = new Set(rows.map((r) => r.request_id));
        return made.every((id) => ids.has(id)) ? rows : undefined;
      },
      () => `the request list never showed all of ${made.join(', ')}`,
      30_000,
    );
  /** No request but those this file made is in the list: a refused create saved nothing. */
  const expectNoOtherRequest = async () => {
    const ids = (await caughtUpList()).map((r) => r.request_id);
    expect(ids.filter((id) => !made.includes(id))).toEqual([]);
  };
  /** A refusal is a 403 with its stable code, and the request is as it was. */
  const expectRefused = async (id: string, model: Record<string, unknown>, who: Who, reason: string) => {
    const before = (await getRequest(id)).request;
    const answer = await modify(id, model, who);
    expect({
      status: answer.status,
      reason: answer.body.reason,
    }).toEqual({ status: 403, reason });
    expect((await getRequest(id)).request).toEqual(before);
  };
  const principal = (name: string) => ({
    principal_type: 'AwsResource',
    principal_arn: `arn:aws:iam::${account.id}:role/${name}`,
  });

  beforeAll(async () => {
    slack = await startWebhookReceiver();
    stack = await startStack({
      config: { requests: { expiryIntervalMs: 500, notifications: { slackWebhookUrl: slack.url } } },
    });
    const org = await seedDemoOrganization({ endpointUrl: stack.env.moto.url, region: 'us-east-1' });
    const members = org.accounts.filter((a) => a.id !== org.managementAccountId);
    account = members[0]!;
    const requestedAt = new Date().toISOString();
    await waitForCrawl(stack, await refresh(stack), requestedAt);
    iam = await iamIn(stack.env.moto.url, account.id);
  });
  afterAll(async () => {
    await stack?.stop();
    await slack?.close();
  });

  describe('request, approve, and the change is in AWS and in the API at once', () => {
    it('attaches an inline policy: alice asks, the admin approves, IAM has it and the role route shows it', async () => {
      const document = readPolicy([
        { Effect: 'Allow', Action: ['s3:GetObject'], Resource: 'arn:aws:s3:::e2e-inline/*' },
      ]);
      const id = await requested({
        changes: {
          changes: [
            {
              change_type: 'inline_policy',
              principal: principal('support'),
              action: 'attach',
              policy_name: 'e2e-inline',
              policy: { policy_document: document },
            },
          ],
        },
      });
      const pending = await getRequest(id, ALICE);
      expect(pending.request.request_status).toBe('pending');
      expect(pending.request_config.can_approve_reject).toBe(false);
      expect((await getRequest(id, ADMIN)).request_config.can_approve_reject).toBe(true);

      const approved = await modify(id, { command: 'approve_request' });
      expect(approved, JSON.stringify(approved.body)).toMatchObject({ status: 200, body: { errors: 0 } });

      const inAws = await iam.send(
        new GetRolePolicyCommand({ RoleName: 'support', PolicyName: 'e2e-inline' }),
      );
      const stored = JSON.parse(decodeURIComponent(inAws.PolicyDocument ?? '')) as {
        Statement: { Action: unknown; Sid?: string }[];
      };
      expect(stored.Statement).toHaveLength(1);
      expect(stored.Statement[0]?.Action).toEqual(['s3:GetObject']);
      await roleShows('support', (r) => r.inline_policies.find((p) => p.PolicyName === 'e2e-inline'));

      const after = await getRequest(id);
      expect(after.request.request_status).toBe('approved');
      expect(after.request.changes.changes[0]?.status).toBe('applied');
      const steps = (await history(id)).map((h) => h.type);
      expect(steps).toEqual(['created', 'approved', 'change_applied']);
    });

    it('attaches a managed policy', async () => {
      const policyArn = `arn:aws:iam::${account.id}:policy/data/DataLakeRead`;
      const id = await requested({
        changes: {
          changes: [
            {
              change_type: 'managed_policy',
              principal: principal('incident-responder'),
              action: 'attach',
              arn: policyArn,
            },
          ],
        },
      });
      const before = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'incident-responder' }));
      expect(before.AttachedPolicies?.map((p) => p.PolicyArn)).not.toContain(policyArn);
      const approved = await modify(id, { command: 'approve_request' });
      expect(approved, JSON.stringify(approved.body)).toMatchObject({ status: 200, body: { errors: 0 } });

      const inAws = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'incident-responder' }));
      expect(inAws.AttachedPolicies?.map((p) => p.PolicyArn)).toContain(policyArn);
      await roleShows('incident-responder', (r) => r.managed_policies.find((p) => p.PolicyArn === policyArn));
    });

    it('tags a role (resource_tag)', async () => {
      const id = await requested({
        changes: {
          changes: [
            {
              change_type: 'resource_tag',
              principal: principal('security-audit'),
              tag_action: 'create',
              key: 'e2e-cost-center',
              value: 'cc-42',
            },
          ],
        },
      });
      const approved = await modify(id, { command: 'approve_request' });
      expect(approved, JSON.stringify(approved.body)).toMatchObject({ status: 200, body: { errors: 0 } });
      const tags = await iam.send(new ListRoleTagsCommand({ RoleName: 'security-audit' }));
      expect(tags.Tags).toContainEqual({ Key: 'e2e-cost-center', Value: 'cc-42' });
      await roleShows('security-audit', (r) =>
        r.tags.find((t) => t.Key === 'e2e-cost-center' && t.Value === 'cc-42'),
      );
    });

    it("adds a statement to a role's trust policy (assume_role_policy)", async () => {
      const current = await iam.send(new GetRoleCommand({ RoleName: 'poweruser' }));
      const trust = decodeDocument(current.Role?.AssumeRolePolicyDocument);
      const added = {
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${account.id}:role/support` },
        Action: 'sts:AssumeRole',
      };
      const id = await requested({
        changes: {
          changes: [
            {
              change_type: 'assume_role_policy',
              principal: principal('poweruser'),
              policy: { policy_document: { ...trust, Statement: [...trust.Statement, added] } },
            },
          ],
        },
      });
      const approved = await modify(id, { command: 'approve_request' });
      expect(approved, JSON.stringify(approved.body)).toMatchObject({ status: 200, body: { errors: 0 } });
      const after = await iam.send(new GetRoleCommand({ RoleName: 'poweruser' }));
      const statements = decodeDocument(after.Role?.AssumeRolePolicyDocument).Statement;
      expect(statements).toHaveLength(trust.Statement.length + 1);
      expect(statements).toContainEqual(expect.objectContaining({ Principal: added.Principal }));
      await roleShows('poweruser', (r) =>
        JSON.stringify(r.assume_role_policy_document).includes(`role/support`) ? true : undefined,
      );
    });

    it('sets a permissions boundary', async () => {
      const boundary = `arn:aws:iam::${account.id}:policy/boundaries/DemoPermissionsBoundary`;
      const before = await iam.send(new GetRoleCommand({ RoleName: 'readonly' }));
      expect(before.Role?.PermissionsBoundary).toBeUndefined();
      const id = await requested({
        changes: {
          changes: [
            {
              change_type: 'permissions_boundary',
              principal: principal('readonly'),
              action: 'attach',
              arn: boundary,
            },
          ],
        },
      });
      const approved = await modify(id, { command: 'approve_request' });
      expect(approved, JSON.stringify(approved.body)).toMatchObject({ status: 200, body: { errors: 0 } });
      const after = await iam.send(new GetRoleCommand({ RoleName: 'readonly' }));
      expect(after.Role?.PermissionsBoundary?.PermissionsBoundaryArn).toBe(boundary);
      await roleShows('readonly', (r) =>
        'PermissionsBoundaryArn' in r.permissions_boundary &&
        r.permissions_boundary.PermissionsBoundaryArn === boundary
          ? true
          : undefined,
      );
    });

    it("adds a statement to an S3 bucket's policy (resource_policy)", async () => {
      const s3 = await s3In(stack.env.moto.url, account.id);
      const bucket = demoBucketNames(account.id).assets;
      const current = await s3.send(new GetBucketPolicyCommand({ Bucket: bucket }));
      const policy = JSON.parse(current.Policy ?? '{}') as { Statement: Record<string, unknown>[] };
      const added = {
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${account.id}:role/support` },
        Action: 's3:GetObject',
        Resource: `arn:aws:s3:::${bucket}/e2e/*`,
      };
      const id = await requested({
        changes: {
          changes: [
            {
              change_type: 'resource_policy',
              principal: principal('support'),
              arn: `arn:aws:s3:::${bucket}`,
              policy: { policy_document: { ...policy, Statement: [...policy.Statement, added] } },
            },
          ],
        },
      });
      const approved = await modify(id, { command: 'approve_request' });
      expect(approved, JSON.stringify(approved.body)).toMatchObject({ status: 200, body: { errors: 0 } });
      const after = await s3.send(new GetBucketPolicyCommand({ Bucket: bucket }));
      const statements = (JSON.parse(after.Policy ?? '{}') as { Statement: Record<string, unknown>[] })
        .Statement;
      expect(statements).toHaveLength(policy.Statement.length + 1);
      expect(statements).toContainEqual(expect.objectContaining({ Resource: added.Resource }));
      await eventually(
        async () => {
          const response = await stack.api(`/api/v2/resources/${account.id}/s3/${bucket}`);
          const body = (await response.json()) as { resource_details: { Policy: unknown } };
          return JSON.stringify(body.resource_details.Policy).includes('/e2e/*') ? true : undefined;
        },
        async () =>
          `the bucket route never showed the new statement of ${bucket}: ${await (
            await stack.api(`/api/v2/resources/${account.id}/s3/${bucket}`)
          ).text()} ${
            stack.services
              .find((p) => p.name === 'requests')
              ?.output()
              .slice(-3000) ?? ''
          }`,
        30_000,
      );
    });
  });

  describe('who may do what: every refusal a 403 with its code, and the request unchanged', () => {
    it('refuses approval and apply to a non-admin', async () => {
      const id = await requested({
        changes: { changes: [inlineChange('support', 'e2e-authz-1', 'arn:aws:s3:::authz-1/*')] },
      });
      await expectRefused(id, { command: 'approve_request' }, BOB, 'NOT_AN_APPROVER');
      const changeId = (await getRequest(id)).request.changes.changes[0]!.id;
      await expectRefused(id, { command: 'apply_change', change_id: changeId }, BOB, 'NOT_AN_APPROVER');
      await expectRefused(id, { command: 'reject_request' }, BOB, 'NOT_AN_APPROVER');
      expect(await inlinePolicyNames('support')).not.toContain('e2e-authz-1');
    });

    it('refuses a requester approving their own request, even an admin', async () => {
      const id = await requested(
        { changes: { changes: [inlineChange('support', 'e2e-authz-2', 'arn:aws:s3:::authz-2/*')] } },
        ADMIN,
      );
      await expectRefused(id, { command: 'approve_request' }, ADMIN, 'SELF_APPROVAL_FORBIDDEN');
      expect(await inlinePolicyNames('support')).not.toContain('e2e-authz-2');
    });

    it('lets a requester cancel their own request and nobody else', async () => {
      const id = await requested({
        changes: { changes: [inlineChange('support', 'e2e-authz-3', 'arn:aws:s3:::authz-3/*')] },
      });
      await expectRefused(id, { command: 'cancel_request' }, BOB, 'NOT_THE_REQUESTER');
      await expectRefused(id, { command: 'cancel_request' }, ADMIN, 'NOT_THE_REQUESTER');
      const changeId = (await getRequest(id)).request.changes.changes[0]!.id;
      await expectRefused(
        id,
        { command: 'cancel_change', change_id: changeId },
        BOB,
        'NOT_REQUESTER_OR_APPROVER',
      );
      const cancelled = await modify(id, { command: 'cancel_request' }, ALICE);
      expect(cancelled.status).toBe(200);
      expect((await getRequest(id)).request.request_status).toBe('cancelled');
      expect(await inlinePolicyNames('support')).not.toContain('e2e-authz-3');
    });

    it('refuses admin_auto_approve from a non-admin, saving and applying nothing', async () => {
      const answer = await create(
        {
          justification: 'sneaky',
          admin_auto_approve: true,
          changes: { changes: [inlineChange('support', 'e2e-authz-4', 'arn:aws:s3:::authz-4/*')] },
        },
        ALICE,
      );
      expect({ status: answer.status, reason: answer.body.reason }).toEqual({
        status: 403,
        reason: 'ADMIN_AUTO_APPROVE_FORBIDDEN',
      });
      await expectNoOtherRequest();
      expect(await inlinePolicyNames('support')).not.toContain('e2e-authz-4');
    });

    it('applies admin_auto_approve from an admin at once', async () => {
      const answer = await create(
        {
          justification: 'break glass',
          admin_auto_approve: true,
          changes: { changes: [inlineChange('support', 'e2e-authz-5', 'arn:aws:s3:::authz-5/*')] },
        },
        ADMIN,
      );
      expect(answer.status).toBe(200);
      expect((answer.body.extended_request as ExtendedRequest).request_status).toBe('approved');
      expect(await inlinePolicyNames('support')).toContain('e2e-authz-5');
    });
  });

  describe('bad input is a 4xx with a clear message, and nothing is written', () => {
    const expectNothingWritten = async (
      body: Record<string, unknown>,
      status: number,
      policyName: string,
    ): Promise<Record<string, unknown>> => {
      const answer = await create({ justification: 'bad input', ...body });
      expect(answer.status, JSON.stringify(answer.body)).toBe(status);
      expect(typeof answer.body.message).toBe('string');
      await expectNoOtherRequest();
      expect(await inlinePolicyNames('support')).not.toContain(policyName);
      return answer.body;
    };

    it('refuses an unknown change type', async () => {
      await expectNothingWritten(
        {
          changes: {
            changes: [{ ...inlineChange('support', 'e2e-bad-1', '*'), change_type: 'root_access' }],
          },
        },
        400,
        'e2e-bad-1',
      );
    });

    it('refuses a malformed ARN', async () => {
      const change = {
        ...inlineChange('support', 'e2e-bad-2', '*'),
        principal: { principal_type: 'AwsResource', principal_arn: 'arn:aws:iam::12:role' },
      };
      const body = await expectNothingWritten({ changes: { changes: [change] } }, 400, 'e2e-bad-2');
      expect(body.reason).toBe('INVALID_CHANGES');
      expect(JSON.stringify(body.problems)).toContain('INVALID_ARN');
    });

    it('refuses a policy that is not valid JSON', async () => {
      const change = {
        ...inlineChange('support', 'e2e-bad-3', '*'),
        policy: { policy_document: '{"Version": "2012-10-17", "Statement": [' },
      };
      const body = await expectNothingWritten({ changes: { changes: [change] } }, 400, 'e2e-bad-3');
      expect(body.reason).toBe('INVALID_CHANGES');
    });

    it('refuses a 1 MB document', async () => {
      const huge = readPolicy([
        { Effect: 'Allow', Action: ['s3:GetObject'], Resource: `arn:aws:s3:::${'b'.repeat(1024 * 1024)}/*` },
      ]);
      const change = { ...inlineChange('support', 'e2e-bad-4', '*'), policy: { policy_document: huge } };
      await expectNothingWritten({ changes: { changes: [change] } }, 413, 'e2e-bad-4');
    });

    it('refuses a command on a stale version with 409, changing nothing', async () => {
      const id = await requested({
        changes: { changes: [inlineChange('support', 'e2e-bad-5', 'arn:aws:s3:::bad-5/*')] },
      });
      const { request } = await getRequest(id);
      expect(
        (await modify(id, { command: 'add_comment', comment_text: 'first', version: request.version }))
          .status,
      ).toBe(200);
      const before = (await getRequest(id)).request;
      const stale = await modify(id, { command: 'approve_request', version: request.version });
      expect(stale.status).toBe(409);
      expect((await getRequest(id)).request).toEqual(before);
      expect(await inlinePolicyNames('support')).not.toContain('e2e-bad-5');
    });
  });

  describe('the list, the page and the history', () => {
    it("lists requests with ConsoleMe's filters, and rebuilds the list from DynamoDB when Redis lost it", async () => {
      const id = await requested({
        changes: { changes: [inlineChange('support', 'e2e-list', 'arn:aws:s3:::list/*')] },
      });
      const rows = await caughtUpList();
      expect(rows.find((r) => r.request_id === id)).toMatchObject({ status: 'pending' });
      const filtered = await stack.api('/api/v2/requests', {
        method: 'POST',
        body: { filters: { status: 'cancelled' } },
      });
      const cancelled = ((await filtered.json()) as { data: { status: string }[] }).data;
      expect(cancelled.length).toBeGreaterThan(0);
      expect(cancelled.every((r) => r.status === 'cancelled')).toBe(true);

      const redis = createRedis(stack.env.redis.url, 'test-list', silentLog);
      try {
        const keys = await redis.keys('rc:requests:*');
        expect(keys.length).toBeGreaterThan(0);
        await redis.del(...keys);
      } finally {
        await redis.quit();
      }
      const rebuilt = await listRequests();
      expect(new Set(rebuilt.map((r) => r.request_id))).toEqual(new Set(rows.map((r) => r.request_id)));
    });

    it('explains who still needs to approve, and records each step in the history', async () => {
      const id = await requested({
        changes: { changes: [inlineChange('support', 'e2e-explain', 'arn:aws:s3:::explain/*')] },
      });
      const pending = await getRequest(id, ALICE);
      expect(pending.approval.satisfied).toBe(false);
      expect(pending.approval.summary.length).toBeGreaterThan(0);
      expect((await modify(id, { command: 'add_comment', comment_text: 'please' }, ALICE)).status).toBe(200);
      expect((await modify(id, { command: 'reject_request' }, ADMIN)).status).toBe(200);
      const items = await history(id);
      expect(items.map((h) => [h.type, h.actor])).toEqual([
        ['created', ALICE.user],
        ['commented', ALICE.user],
        ['rejected', ADMIN.user],
      ]);
      expect((await getRequest(id)).request.comments).toHaveLength(1);
      expect(await inlinePolicyNames('support')).not.toContain('e2e-explain');
    });
  });

  describe('dynamic config: auto-approval rules and notifications', () => {
    const saveDynamicConfig = async (yaml: string) => {
      const current = (await (await stack.api('/api/v2/dynamic_config')).json()) as { sha256: string };
      const saved = await stack.api('/api/v2/dynamic_config', {
        method: 'POST',
        body: { existing_sha256: current.sha256, new_config: yaml },
      });
      expect(saved.status, await saved.clone().text()).toBe(200);
    };

    it('approves and applies a request an auto-approval rule matches, the rule as its reviewer, and tells Slack', async () => {
      await saveDynamicConfig(
        [
          'policy_requests:',
          '  auto_approval_rules:',
          '    - name: queue-readers',
          `      accounts: ['${account.id}']`,
          `      principal_arns: ['arn:aws:iam::${account.id}:role/poweruser']`,
          "      action_prefixes: ['sqs:Receive']",
          '      justification_required: false',
          '  notifications:',
          '    created: [slack]',
          '    status_changed: [slack]',
          '',
        ].join('\n'),
      );
      const change = {
        change_type: 'inline_policy',
        principal: principal('poweruser'),
        action: 'attach',
        policy_name: 'e2e-auto',
        policy: {
          policy_document: readPolicy([
            {
              Effect: 'Allow',
              Action: ['sqs:ReceiveMessage'],
              Resource: `arn:aws:sqs:us-east-1:${account.id}:orders`,
            },
          ]),
        },
      };
      // The rule reaches the service by an event; until then the request would wait for a person.
      const request = await eventually(
        async () => {
          const answer = await create({ changes: { changes: [change] }, dry_run: true });
          return answer.status === 200 ? answer : undefined;
        },
        () => 'the auto-approval rule never let a request without justification through',
        30_000,
      );
      expect(request.body.request_created).toBe(false);
      const created = await create({ changes: { changes: [change] } });
      expect(created.status, JSON.stringify(created.body)).toBe(200);
      const extended = created.body.extended_request as ExtendedRequest & { reviewer?: string };
      expect(extended.request_status).toBe('approved');
      expect(extended.reviewer).toBe('rule:queue-readers');
      expect(await inlinePolicyNames('poweruser')).toContain('e2e-auto');
      const id = created.body.request_id as string;
      await eventually(
        () => (slack.received.some((body) => body.includes(id)) ? true : undefined),
        () => `Slack never heard of ${id}: ${slack.received.join(' | ')}`,
        30_000,
      );
    });

    it('applies a request while Slack is down: a failing notification never blocks it', async () => {
      slack.failing = true;
      try {
        const id = await requested({
          changes: { changes: [inlineChange('support', 'e2e-slack-down', 'arn:aws:s3:::slack-down/*')] },
        });
        const approved = await modify(id, { command: 'approve_request' });
        expect(approved, JSON.stringify(approved.body)).toMatchObject({ status: 200, body: { errors: 0 } });
        expect(await inlinePolicyNames('support')).toContain('e2e-slack-down');
        expect((await getRequest(id)).request.request_status).toBe('approved');
      } finally {
        slack.failing = false;
      }
    });
  });
});
