import {
  CreateRoleCommand,
  GetInstanceProfileCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListInstanceProfilesForRoleCommand,
  ListRolePoliciesCommand,
  ListRoleTagsCommand,
  ListRolesCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoOrganization, type DemoAccount } from '@rolecall/testing';
import { absent, iamIn } from './support/aws.js';
import { refresh, waitForCrawl } from './support/crawls.js';
import { eventually, startStack, type Stack } from './support/stack.js';

const ADMIN = { user: 'admin@example.com', groups: ['admins', 'engineering'] };
const ALICE = { user: 'alice@example.com', groups: ['engineering', 'payments'] };
type Who = { user: string; groups: string[] };

interface RoleModel {
  arn: string;
  description?: string;
  inline_policies: { PolicyName: string; PolicyDocument: unknown }[];
  managed_policies: { PolicyArn: string }[];
  permissions_boundary: { PermissionsBoundaryArn?: string };
  assume_role_policy_document: unknown;
  tags: { Key: string; Value: string }[];
}

interface RoleAnswer {
  status: number;
  body: {
    request_id?: string;
    request_created?: boolean;
    request_status?: string;
    applied?: boolean;
    code?: string;
    reason?: string;
    message?: string;
    extended_request?: { changes: { changes: Record<string, unknown>[] } };
  };
}

const decode = (text: string | undefined): unknown => JSON.parse(decodeURIComponent(text ?? ''));
const justification = 'the role tests need it';

describe('creating, cloning and deleting roles through the request workflow', () => {
  let stack: Stack;
  let account: DemoAccount;
  let other: DemoAccount;
  let iam: IAMClient;
  let otherIam: IAMClient;

  const call = async (path: string, method: string, body: unknown, who: Who = ADMIN): Promise<RoleAnswer> => {
    const response = await stack.api(path, { method, body, ...who });
    return { status: response.status, body: (await response.json()) as RoleAnswer['body'] };
  };
  const role = async (accountId: string, name: string) => {
    const response = await stack.api(`/api/v2/roles/${accountId}/${name}`);
    return response.status === 200 ? ((await response.json()) as RoleModel) : undefined;
  };
  /** The cache's view, once it shows what `check` waits for. */
  const cacheShows = <T>(
    accountId: string,
    name: string,
    check: (r: RoleModel | undefined) => T | undefined,
  ) =>
    eventually(
      async () => check(await role(accountId, name)),
      async () => `GET /api/v2/roles/${accountId}/${name}: ${JSON.stringify(await role(accountId, name))}`,
      30_000,
    );
  const requestIds = async () => {
    const response = await stack.api('/api/v2/requests', { method: 'POST', body: {} });
    return ((await response.json()) as { data: { request_id: string }[] }).data
      .map((r) => r.request_id)
      .sort();
  };
  const roleNames = async (client: IAMClient) =>
    ((await client.send(new ListRolesCommand({ MaxItems: 1000 }))).Roles ?? []).map((r) => r.RoleName).sort();

  beforeAll(async () => {
    stack = await startStack();
    const org = await seedDemoOrganization({ endpointUrl: stack.env.moto.url, region: 'us-east-1' });
    const members = org.accounts.filter((a) => a.id !== org.managementAccountId);
    account = members[0]!;
    other = members[1]!;
    const requestedAt = new Date().toISOString();
    await waitForCrawl(stack, await refresh(stack), requestedAt);
    iam = await iamIn(stack.env.moto.url, account.id);
    otherIam = await iamIn(stack.env.moto.url, other.id);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('an admin creates a role at once: in IAM with the default trust and its instance profile, and in the cache', async () => {
    const created = await call('/api/v2/roles', 'POST', {
      account_id: account.id,
      role_name: 'e2e-created',
      description: 'Made by the role tests',
      justification,
      admin_auto_approve: true,
    });
    expect(created, JSON.stringify(created.body)).toMatchObject({
      status: 200,
      body: { request_created: true, request_status: 'approved', applied: true },
    });

    const { Role } = await iam.send(new GetRoleCommand({ RoleName: 'e2e-created' }));
    expect(Role?.Description).toBe('Made by the role tests');
    // No trust configured and no hub role in the test config: the account itself.
    expect(decode(Role?.AssumeRolePolicyDocument)).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: [`arn:aws:iam::${account.id}:root`] },
          Action: ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'],
        },
      ],
    });
    const profile = await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: 'e2e-created' }));
    expect(profile.InstanceProfile?.Roles?.map((r) => r.RoleName)).toEqual(['e2e-created']);
    const tags = (await iam.send(new ListRoleTagsCommand({ RoleName: 'e2e-created' }))).Tags ?? [];
    expect(tags).toEqual([{ Key: 'rolecall:created-by-request', Value: created.body.request_id }]);

    // The cache holds no descriptions (IAM's account-wide listing has none): the trust shows it arrived.
    const cached = await cacheShows(account.id, 'e2e-created', (r) => r);
    expect(cached.assume_role_policy_document).toEqual(decode(Role?.AssumeRolePolicyDocument));
  });

  it('a non-admin gets a pending request, nothing in IAM, until an admin approves it', async () => {
    const asked = await call(
      '/api/v2/roles',
      'POST',
      { account_id: account.id, role_name: 'e2e-requested', instance_profile: false, justification },
      ALICE,
    );
    expect(asked, JSON.stringify(asked.body)).toMatchObject({
      status: 200,
      body: { request_created: true, request_status: 'pending', applied: false },
    });
    expect(await absent(iam.send(new GetRoleCommand({ RoleName: 'e2e-requested' })))).toBe('NoSuchEntity');

    const id = asked.body.request_id ?? '';
    const refused = await call(
      `/api/v2/requests/${id}`,
      'PUT',
      { modification_model: { command: 'approve_request' } },
      ALICE,
    );
    expect(refused.status).toBe(403);
    expect(await absent(iam.send(new GetRoleCommand({ RoleName: 'e2e-requested' })))).toBe('NoSuchEntity');

    const approved = await call(`/api/v2/requests/${id}`, 'PUT', {
      modification_model: { command: 'approve_request' },
    });
    expect(approved, JSON.stringify(approved.body)).toMatchObject({ status: 200, body: { errors: 0 } });
    const { Role } = await iam.send(new GetRoleCommand({ RoleName: 'e2e-requested' }));
    expect(Role?.Arn).toBe(`arn:aws:iam::${account.id}:role/e2e-requested`);
    const profiles = await iam.send(new ListInstanceProfilesForRoleCommand({ RoleName: 'e2e-requested' }));
    expect(profiles.InstanceProfiles).toEqual([]);
    await cacheShows(account.id, 'e2e-requested', (r) => r);
  });

  it('clones a role into another account with the chosen parts, each in IAM and in the cache', async () => {
    const source = (await role(account.id, 'payments-api'))!;
    expect(source.inline_policies.length).toBeGreaterThan(0);
    const cloned = await call('/api/v2/clone/role', 'POST', {
      account_id: account.id,
      role_name: 'payments-api',
      dest_account_id: other.id,
      dest_role_name: 'e2e-clone',
      options: {
        inline_policies: true,
        managed_policies: true,
        assume_role_policy: true,
        tags: true,
        boundary: true,
        copy_description: true,
        max_session_duration: true,
        instance_profile: true,
      },
      justification,
      admin_auto_approve: true,
    });
    expect(cloned, JSON.stringify(cloned.body)).toMatchObject({
      status: 200,
      body: { request_status: 'approved', applied: true },
    });
    const inOther = (arn: string) => arn.replace(`::${account.id}:`, `::${other.id}:`);

    const { Role } = await otherIam.send(new GetRoleCommand({ RoleName: 'e2e-clone' }));
    expect(Role?.Arn).toBe(`arn:aws:iam::${other.id}:role/service/e2e-clone`);
    const original = (await iam.send(new GetRoleCommand({ RoleName: 'payments-api' }))).Role;
    expect(original?.Description).toBe('The payments API tasks');
    expect(Role?.Description).toBe(original?.Description);
    expect(Role?.MaxSessionDuration).toBe(original?.MaxSessionDuration);
    expect(decode(Role?.AssumeRolePolicyDocument)).toEqual(source.assume_role_policy_document);
    expect(Role?.PermissionsBoundary?.PermissionsBoundaryArn).toBe(
      inOther(source.permissions_boundary.PermissionsBoundaryArn ?? ''),
    );
    const names = (await otherIam.send(new ListRolePoliciesCommand({ RoleName: 'e2e-clone' }))).PolicyNames;
    expect(names?.sort()).toEqual(source.inline_policies.map((p) => p.PolicyName).sort());
    for (const policy of source.inline_policies) {
      const inAws = await otherIam.send(
        new GetRolePolicyCommand({ RoleName: 'e2e-clone', PolicyName: policy.PolicyName }),
      );
      expect(decode(inAws.PolicyDocument)).toEqual(policy.PolicyDocument);
    }
    const attached = await otherIam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'e2e-clone' }));
    expect(attached.AttachedPolicies?.map((p) => p.PolicyArn).sort()).toEqual(
      source.managed_policies.map((p) => inOther(p.PolicyArn)).sort(),
    );
    const byKey = (a: { Key?: string }, b: { Key?: string }) => (a.Key ?? '').localeCompare(b.Key ?? '');
    const tags = (await otherIam.send(new ListRoleTagsCommand({ RoleName: 'e2e-clone' }))).Tags ?? [];
    expect(tags.filter((t) => t.Key !== 'rolecall:created-by-request').sort(byKey)).toEqual(
      [...source.tags].sort(byKey),
    );
    expect(tags.find((t) => t.Key === 'rolecall:created-by-request')?.Value).toBe(cloned.body.request_id);

    const cached = await cacheShows(other.id, 'e2e-clone', (r) => r);
    expect(cached.inline_policies).toEqual(source.inline_policies);
    expect(cached.managed_policies.map((p) => p.PolicyArn).sort()).toEqual(
      source.managed_policies.map((p) => inOther(p.PolicyArn)).sort(),
    );
    expect(cached.permissions_boundary.PermissionsBoundaryArn).toBe(
      inOther(source.permissions_boundary.PermissionsBoundaryArn ?? ''),
    );
    expect(cached.assume_role_policy_document).toEqual(source.assume_role_policy_document);
    expect(cached.tags.filter((t) => t.Key !== 'rolecall:created-by-request').sort(byKey)).toEqual(
      [...source.tags].sort(byKey),
    );
  });

  it('deletes a role: profile removed, policies detached, gone from IAM and from the cache', async () => {
    await cacheShows(other.id, 'e2e-clone', (r) => r);
    const deleted = await call(`/api/v2/roles/${other.id}/e2e-clone`, 'DELETE', {
      justification,
      admin_auto_approve: true,
    });
    expect(deleted, JSON.stringify(deleted.body)).toMatchObject({
      status: 200,
      body: { request_status: 'approved', applied: true },
    });
    expect(await absent(otherIam.send(new GetRoleCommand({ RoleName: 'e2e-clone' })))).toBe('NoSuchEntity');
    expect(
      await absent(otherIam.send(new GetInstanceProfileCommand({ InstanceProfileName: 'e2e-clone' }))),
    ).toBe('NoSuchEntity');
    await cacheShows(other.id, 'e2e-clone', (r) => (r === undefined ? true : undefined));
  });

  it('refuses to write into a role someone made with the same name after the request', async () => {
    const asked = await call(
      '/api/v2/roles',
      'POST',
      { account_id: account.id, role_name: 'e2e-taken', justification },
      ALICE,
    );
    expect(asked.status).toBe(200);
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'e2e-taken',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' },
          ],
        }),
      }),
    );
    const approved = await call(`/api/v2/requests/${asked.body.request_id ?? ''}`, 'PUT', {
      modification_model: { command: 'approve_request' },
    });
    expect(approved.status).toBe(200);
    const got = await stack.api(`/api/v2/requests/${asked.body.request_id ?? ''}`);
    const request = JSON.parse(((await got.json()) as { request: string }).request) as {
      request_status: string;
      changes: { changes: { status: string; error?: { code: string } }[] };
    };
    expect(request.request_status).toBe('failed');
    expect(request.changes.changes[0]).toMatchObject({ status: 'failed', error: { code: 'ROLE_EXISTS' } });
    expect((await iam.send(new ListRoleTagsCommand({ RoleName: 'e2e-taken' }))).Tags).toEqual([]);
    expect(await absent(iam.send(new GetInstanceProfileCommand({ InstanceProfileName: 'e2e-taken' })))).toBe(
      'NoSuchEntity',
    );
  });

  describe('bad input is a 4xx with a stable code, and nothing is written', () => {
    it.each([
      [
        'a malformed role name',
        '/api/v2/roles',
        'POST',
        () => ({ account_id: account.id, role_name: 'bad name!', justification }),
        400,
        'VALIDATION_FAILED',
        undefined,
      ],
      [
        'a 65-character role name',
        '/api/v2/roles',
        'POST',
        () => ({ account_id: account.id, role_name: 'r'.repeat(65), justification }),
        400,
        'VALIDATION_FAILED',
        undefined,
      ],
      [
        'a role that exists',
        '/api/v2/roles',
        'POST',
        () => ({
          account_id: account.id,
          role_name: 'payments-api',
          justification,
          admin_auto_approve: true,
        }),
        409,
        'CONFLICT',
        'ROLE_EXISTS',
      ],
      [
        'an unknown account',
        '/api/v2/roles',
        'POST',
        () => ({
          account_id: '999999999999',
          role_name: 'e2e-nowhere',
          justification,
          admin_auto_approve: true,
        }),
        404,
        'NOT_FOUND',
        'ACCOUNT_UNKNOWN',
      ],
      [
        'a trust policy that is not JSON',
        '/api/v2/roles',
        'POST',
        () => ({
          account_id: account.id,
          role_name: 'e2e-bad-trust',
          assume_role_policy: '{"Version": "2012-10-17", "Statement": [',
          justification,
          admin_auto_approve: true,
        }),
        400,
        'VALIDATION_FAILED',
        'INVALID_CHANGES',
      ],
      [
        'a clone of a role that does not exist',
        '/api/v2/clone/role',
        'POST',
        () => ({
          account_id: account.id,
          role_name: 'no-such-role',
          dest_account_id: other.id,
          dest_role_name: 'e2e-clone-of-nothing',
          options: {},
          justification,
          admin_auto_approve: true,
        }),
        404,
        'NOT_FOUND',
        'CLONE_SOURCE_NOT_FOUND',
      ],
      [
        'a clone into an unknown account',
        '/api/v2/clone/role',
        'POST',
        () => ({
          account_id: account.id,
          role_name: 'payments-api',
          dest_account_id: '999999999999',
          dest_role_name: 'e2e-clone-nowhere',
          options: {},
          justification,
        }),
        404,
        'NOT_FOUND',
        'ACCOUNT_UNKNOWN',
      ],
      [
        'a delete of a role that does not exist',
        '/api/v2/roles/ACCOUNT/no-such-role',
        'DELETE',
        () => ({ justification, admin_auto_approve: true }),
        404,
        'NOT_FOUND',
        'ROLE_NOT_FOUND',
      ],
      [
        'a delete of the spoke role Rolecall runs on',
        '/api/v2/roles/ACCOUNT/RolecallSpoke',
        'DELETE',
        () => ({ justification, admin_auto_approve: true }),
        400,
        'VALIDATION_FAILED',
        'INVALID_CHANGES',
      ],
      [
        'a 1 MB body',
        '/api/v2/roles',
        'POST',
        () => ({
          account_id: account.id,
          role_name: 'e2e-huge',
          description: 'x'.repeat(1024 * 1024),
          justification,
        }),
        413,
        undefined,
        undefined,
      ],
    ])('%s', async (_what, path, method, body, status, code, reason) => {
      const requestsBefore = await requestIds();
      const rolesBefore = [await roleNames(iam), await roleNames(otherIam)];
      const answer = await call(path.replace('ACCOUNT', account.id), method, body());
      expect({ status: answer.status, ...(code ? { code: answer.body.code } : {}) }).toEqual({
        status,
        ...(code ? { code } : {}),
      });
      if (reason !== undefined) expect(answer.body.reason).toBe(reason);
      expect(answer.body.message ?? '').not.toBe('');
      expect(await requestIds()).toEqual(requestsBefore);
      expect([await roleNames(iam), await roleNames(otherIam)]).toEqual(rolesBefore);
    });
  });
});
