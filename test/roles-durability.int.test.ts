import {
  GetInstanceProfileCommand,
  GetRoleCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  seedDemoOrganization,
  startCountingProxy,
  type CountingProxy,
  type DemoAccount,
} from '@rolecall/testing';
import { absent, iamIn } from './support/aws.js';
import { refresh, waitForCrawl } from './support/crawls.js';
import { eventually, startStack, type ServiceProcess, type Stack } from './support/stack.js';

const ALICE = { user: 'alice@example.com', groups: ['engineering', 'payments'] };
const ADMIN = { user: 'admin@example.com', groups: ['admins'] };

interface ExtendedRequest {
  request_status: string;
  changes: { changes: { status: string }[] };
}

/**
 * A role created and one deleted, each with the requests process killed after the first of its several
 * IAM writes: the process started next finishes it, and every write reaches AWS exactly once.
 */
describe('creating and deleting roles survives the requests process dying mid-apply', () => {
  let stack: Stack;
  let proxy: CountingProxy;
  let account: DemoAccount;
  let iam: IAMClient;
  let requests: ServiceProcess;
  let generation = 0;

  const startRequests = async () => {
    generation += 1;
    requests = await stack.start('requests', `requests-${generation}`, { AWS_ENDPOINT_URL: proxy.url });
  };
  const getRequest = async (id: string) => {
    const response = await stack.api(`/api/v2/requests/${id}`);
    return JSON.parse(((await response.json()) as { request: string }).request) as ExtendedRequest;
  };

  /**
   * Files a request as alice, then approves it as the admin, kills the requests process once the first
   * write is on its way, restarts it and waits for the end.
   */
  const fileAndApproveThroughACrash = async (path: string, method: string, body: Record<string, unknown>) => {
    const filed = await stack.api(path, {
      method,
      body: { justification: 'durability test', ...body },
      ...ALICE,
    });
    const { request_id: id } = (await filed.json()) as { request_id: string };
    expect(filed.status).toBe(200);
    const before = proxy.writes().length;
    proxy.delayWrites(1_500);
    const answer = stack
      .api(`/api/v2/requests/${id}`, {
        method: 'PUT',
        body: { modification_model: { command: 'approve_request' } },
        ...ADMIN,
      })
      .catch(() => undefined);
    await eventually(
      () => (proxy.writes().length > before ? true : undefined),
      () => 'no write reached the proxy',
      20_000,
    );
    await requests.kill();
    proxy.delayWrites(0);
    const beforeRestart = proxy.writes().slice(before);
    await eventually(
      () => (proxy.inFlight() === 0 ? true : undefined),
      () => `${proxy.inFlight()} calls still in flight`,
    );
    await startRequests();
    const settled = await eventually(
      async () => {
        const request = await getRequest(id).catch(() => undefined);
        return request === undefined || request.request_status === 'applying' ? undefined : request;
      },
      () => `request ${id} is still applying: ${requests.output().slice(-2000)}`,
      30_000,
    );
    await answer;
    return { settled, beforeRestart, writes: proxy.writes().slice(before) };
  };

  beforeAll(async () => {
    stack = await startStack({ services: ['cache', 'crawler', 'broker', 'gateway'] });
    proxy = await startCountingProxy(stack.env.moto.url);
    await startRequests();
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

  it('finishes a role creation cut short, writing each part once', async () => {
    const { settled, beforeRestart, writes } = await fileAndApproveThroughACrash('/api/v2/request', 'POST', {
      changes: {
        changes: [
          {
            change_type: 'create_role',
            principal: {
              principal_type: 'AwsResource',
              principal_arn: `arn:aws:iam::${account.id}:role/e2e-crash`,
            },
            instance_profile: true,
            inline_policies: [
              {
                policy_name: 'read',
                policy_document: {
                  Version: '2012-10-17',
                  Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
                },
              },
            ],
            managed_policy_arns: [`arn:aws:iam::${account.id}:policy/data/DataLakeRead`],
          },
        ],
      },
    });
    expect(beforeRestart.length).toBeLessThan(5);
    expect(settled.request_status).toBe('approved');
    expect(settled.changes.changes.map((c) => c.status)).toEqual(['applied']);
    expect([...writes].sort()).toEqual(
      [
        'CreateRole',
        'PutRolePolicy',
        'AttachRolePolicy',
        'CreateInstanceProfile',
        'AddRoleToInstanceProfile',
      ].sort(),
    );
    expect((await iam.send(new ListRolePoliciesCommand({ RoleName: 'e2e-crash' }))).PolicyNames).toEqual([
      'read',
    ]);
    const attached = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'e2e-crash' }));
    expect(attached.AttachedPolicies?.map((p) => p.PolicyArn)).toEqual([
      `arn:aws:iam::${account.id}:policy/data/DataLakeRead`,
    ]);
    const profile = await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: 'e2e-crash' }));
    expect(profile.InstanceProfile?.Roles?.map((r) => r.RoleName)).toEqual(['e2e-crash']);
  });

  it('finishes a role deletion cut short, writing each step once', async () => {
    await eventually(
      async () =>
        (await stack.api(`/api/v2/roles/${account.id}/e2e-crash`)).status === 200 ? true : undefined,
      () => 'the created role never reached the cache',
      30_000,
    );
    const { settled, beforeRestart, writes } = await fileAndApproveThroughACrash(
      `/api/v2/roles/${account.id}/e2e-crash`,
      'DELETE',
      {},
    );
    expect(beforeRestart.length).toBeLessThan(5);
    expect(settled.request_status).toBe('approved');
    expect([...writes].sort()).toEqual(
      [
        'RemoveRoleFromInstanceProfile',
        'DeleteInstanceProfile',
        'DetachRolePolicy',
        'DeleteRolePolicy',
        'DeleteRole',
      ].sort(),
    );
    expect(await absent(iam.send(new GetRoleCommand({ RoleName: 'e2e-crash' })))).toBe('NoSuchEntity');
    expect(await absent(iam.send(new GetInstanceProfileCommand({ InstanceProfileName: 'e2e-crash' })))).toBe(
      'NoSuchEntity',
    );
  });
});
