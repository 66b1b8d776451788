import { GetRolePolicyCommand, ListAttachedRolePoliciesCommand, type IAMClient } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoOrganization, type DemoAccount } from '@rolecall/testing';
import { iamIn } from './support/aws.js';
import { refresh, waitForCrawl } from './support/crawls.js';
import { eventually, startStack, type Stack } from './support/stack.js';

const ADMIN = { user: 'admin@example.com', groups: ['admins', 'engineering'] };
const ALICE = { user: 'alice@example.com', groups: ['engineering', 'payments'] };

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

describe('policy requests through the HTTP API, with every service running as a process', () => {
  let stack: Stack;
  let account: DemoAccount;
  let iam: IAMClient;

  const create = async (body: Record<string, unknown>, who: Who = ALICE) => {
    const response = await stack.api('/api/v2/request', { method: 'POST', body, ...who });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
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
  const principal = (name: string) => ({
    principal_type: 'AwsResource',
    principal_arn: `arn:aws:iam::${account.id}:role/${name}`,
  });

  beforeAll(async () => {
    stack = await startStack({ config: { requests: { expiryIntervalMs: 500 } } });
    const org = await seedDemoOrganization({ endpointUrl: stack.env.moto.url, region: 'us-east-1' });
    const members = org.accounts.filter((a) => a.id !== org.managementAccountId);
    account = members[0]!;
    const requestedAt = new Date().toISOString();
    await waitForCrawl(stack, await refresh(stack), requestedAt);
    iam = await iamIn(stack.env.moto.url, account.id);
  });
  afterAll(async () => {
    await stack?.stop();
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
      const policyArn = `arn:aws:iam::${account.id}:policy/DataLakeRead`;
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
  });
});
