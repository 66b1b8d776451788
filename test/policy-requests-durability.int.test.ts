import {
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  ListRoleTagsCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  seedDemoOrganization,
  startCountingProxy,
  type CountingProxy,
  type DemoAccount,
} from '@rolecall/testing';
import { iamIn } from './support/aws.js';
import { refresh, waitForCrawl } from './support/crawls.js';
import { eventually, startStack, type ServiceProcess, type Stack } from './support/stack.js';

const ALICE = { user: 'alice@example.com', groups: ['engineering', 'payments'] };
const admin = (n: number) => ({ user: `admin${n}@example.com`, groups: ['admins'] });
type Who = { user: string; groups: string[] };

interface ExtendedRequest {
  id: string;
  version: number;
  request_status: string;
  changes: { changes: { id: string; change_type: string; status: string }[] };
}

/**
 * Two requests processes, their AWS calls through a counting proxy in front of moto: approvals racing,
 * grants expiring, and a process killed mid-apply, each checked by what reached AWS.
 */
describe('policy requests: exactly once, across processes and crashes', () => {
  let stack: Stack;
  let proxy: CountingProxy;
  let account: DemoAccount;
  let iam: IAMClient;
  let requests: ServiceProcess[] = [];

  const startRequests = async (label: string) =>
    stack.start('requests', label, { AWS_ENDPOINT_URL: proxy.url });

  const create = async (changes: Record<string, unknown>[], who: Who = ALICE) => {
    const response = await stack.api('/api/v2/request', {
      method: 'POST',
      body: { justification: 'durability test', changes: { changes } },
      ...who,
    });
    const body = (await response.json()) as { request_id?: string };
    expect(response.status, JSON.stringify(body)).toBe(200);
    return body.request_id ?? '';
  };
  const approve = async (id: string, who: Who) => {
    const response = await stack.api(`/api/v2/requests/${id}`, {
      method: 'PUT',
      body: { modification_model: { command: 'approve_request' } },
      ...who,
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const getRequest = async (id: string) => {
    const response = await stack.api(`/api/v2/requests/${id}`);
    return JSON.parse(((await response.json()) as { request: string }).request) as ExtendedRequest;
  };
  const history = async (id: string) => {
    const response = await stack.api(`/api/v3/requests/${id}/events`);
    return ((await response.json()) as { items: { type: string; actor: string; changeId?: string }[] }).items;
  };
  const principal = (name: string) => ({
    principal_type: 'AwsResource',
    principal_arn: `arn:aws:iam::${account.id}:role/${name}`,
  });
  const inline = (role: string, name: string, extra: Record<string, unknown> = {}) => ({
    change_type: 'inline_policy',
    principal: principal(role),
    action: 'attach',
    policy_name: name,
    policy: {
      policy_document: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: ['sqs:ReceiveMessage'], Resource: `arn:aws:sqs:*:*:${name}` }],
      },
    },
    ...extra,
  });
  const inlineNames = async (role: string) =>
    (await iam.send(new ListRolePoliciesCommand({ RoleName: role }))).PolicyNames ?? [];

  beforeAll(async () => {
    stack = await startStack({
      services: ['cache', 'crawler', 'broker', 'gateway'],
      config: { requests: { expiryIntervalMs: 300, expiryLeaseMs: 5_000 } },
    });
    proxy = await startCountingProxy(stack.env.moto.url);
    requests = [await startRequests('requests-1'), await startRequests('requests-2')];
    const org = await seedDemoOrganization({ endpointUrl: stack.env.moto.url, region: 'us-east-1' });
    account = org.accounts.find((a) => a.id !== org.managementAccountId)!;
    const requestedAt = new Date().toISOString();
    await waitForCrawl(stack, await refresh(stack), requestedAt);
    iam = await iamIn(stack.env.moto.url, account.id);
  });
  afterAll(async () => {
    await stack?.stop();
    await proxy?.close();
  });

  it('applies a request approved 20 times at once exactly once: one IAM write reaches AWS', async () => {
    const id = await create([inline('support', 'e2e-race')]);
    const before = proxy.writes().length;
    const answers = await Promise.all(Array.from({ length: 20 }, (_, n) => approve(id, admin(n))));
    const statuses = answers.map((a) => a.status);
    expect(
      statuses.filter((s) => s === 200),
      JSON.stringify(answers),
    ).toHaveLength(1);
    expect(statuses.every((s) => s === 200 || (s >= 400 && s < 500))).toBe(true);

    expect(proxy.writes().slice(before)).toEqual(['PutRolePolicy']);
    expect(await inlineNames('support')).toContain('e2e-race');
    const request = await getRequest(id);
    expect(request.request_status).toBe('approved');
    const steps = (await history(id)).map((h) => h.type);
    expect(steps.filter((t) => t === 'approved')).toHaveLength(1);
    expect(steps.filter((t) => t === 'change_applied')).toHaveLength(1);
  });

  it('removes an expiring grant once, with two requests processes, audited and expired', async () => {
    const expiresAt = new Date(Date.now() + 4_000).toISOString();
    const id = await create([inline('support', 'e2e-expiring', { expiration_date: expiresAt })]);
    const approved = await approve(id, admin(1));
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(await inlineNames('support')).toContain('e2e-expiring');
    const before = proxy.writes().length;

    const expired = await eventually(
      async () => {
        const request = await getRequest(id);
        return request.request_status === 'expired' ? request : undefined;
      },
      async () => `request ${id} is ${(await getRequest(id)).request_status}`,
      30_000,
    );
    expect(expired.changes.changes[0]?.status).toBe('expired');
    expect(await inlineNames('support')).not.toContain('e2e-expiring');
    // Both processes look every 300 ms; only one removes it.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(proxy.writes().slice(before)).toEqual(['DeleteRolePolicy']);
    const removals = (await history(id)).filter((h) => h.type === 'change_expired');
    expect(removals).toEqual([expect.objectContaining({ actor: 'rolecall' })]);
  });

  it('ends consistent after the requests processes are killed in the middle of a three-change apply', async () => {
    const role = 'security-audit';
    const boundaryFree = [
      inline(role, 'e2e-crash-inline'),
      {
        change_type: 'resource_tag',
        principal: principal(role),
        tag_action: 'create',
        key: 'e2e-crash',
        value: 'yes',
      },
      {
        change_type: 'managed_policy',
        principal: principal(role),
        action: 'attach',
        arn: `arn:aws:iam::${account.id}:policy/data/DataLakeRead`,
      },
    ];
    const id = await create(boundaryFree);
    const before = proxy.writes().length;
    proxy.delayWrites(1_500);
    const answer = approve(id, admin(2)).catch((error: unknown) => ({ status: 0, body: { error } }));
    await eventually(
      () => (proxy.writes().length > before ? true : undefined),
      () => 'no write reached the proxy',
      20_000,
    );
    for (const proc of requests) await proc.kill();
    proxy.delayWrites(0);
    // Killed mid-apply: not every change's write had been sent. The one in flight still reaches moto.
    expect(proxy.writes().slice(before).length).toBeLessThan(3);
    await eventually(
      () => (proxy.inFlight() === 0 ? true : undefined),
      () => `${proxy.inFlight()} calls still in flight`,
    );

    requests = [await startRequests('requests-3')];
    const settled = await eventually(
      async () => {
        // Until the new process answers, the gateway answers 503.
        const request = await getRequest(id).catch(() => undefined);
        return request === undefined || request.request_status === 'applying' ? undefined : request;
      },
      () => `request ${id} is still applying: ${requests[0]?.output().slice(-2000) ?? ''}`,
      30_000,
    );
    expect(settled.request_status).toBe('approved');
    expect(settled.changes.changes.map((c) => c.status)).toEqual(['applied', 'applied', 'applied']);
    expect(await inlineNames(role)).toContain('e2e-crash-inline');
    const tags = await iam.send(new ListRoleTagsCommand({ RoleName: role }));
    expect(tags.Tags).toContainEqual({ Key: 'e2e-crash', Value: 'yes' });
    const attached = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: role }));
    expect(attached.AttachedPolicies?.map((p) => p.PolicyArn)).toContain(
      `arn:aws:iam::${account.id}:policy/data/DataLakeRead`,
    );
    // Each change written once: the one in flight at the kill is not written again after the restart.
    const writes = proxy.writes().slice(before);
    expect(writes.filter((w) => w === 'PutRolePolicy')).toHaveLength(1);
    expect(writes.filter((w) => w === 'TagRole')).toHaveLength(1);
    expect(writes.filter((w) => w === 'AttachRolePolicy')).toHaveLength(1);
    const applied = (await history(id)).filter((h) => h.type === 'change_applied');
    expect(new Set(applied.map((h) => h.changeId)).size).toBe(3);
    expect(applied).toHaveLength(3);
    expect((await answer).status).not.toBe(200);
  });
});
