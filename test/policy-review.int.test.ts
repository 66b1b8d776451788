import { GetRolePolicyCommand, ListRolePoliciesCommand, type IAMClient } from '@aws-sdk/client-iam';
import { expandActions } from '@rolecall/policy';
import { seedDemoOrganization, type DemoAccount } from '@rolecall/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iamIn } from './support/aws.js';
import { refresh, waitForCrawl } from './support/crawls.js';
import { eventually, startStack, type Stack } from './support/stack.js';

/*
 * Issue 10 §1–2 through the HTTP API with every service running: each change of a request carries its
 * policy findings and its newly-granted table, in dry runs and on GET /api/v2/requests/{id}, and an
 * auto-approval rule with access_levels approves only what stays within them.
 */

const ALICE = { user: 'alice@example.com', groups: ['engineering', 'payments'] };

interface Group {
  service: string;
  accessLevel: string;
  actions: string[];
  resources: string[];
}
interface ReviewedChange {
  change_type: string;
  findings?: { code: string; path: string; statementIndex: number | null }[];
  newly_granted?: { added: Group[]; removed: Group[] };
}
interface Extended {
  id: string;
  request_status: string;
  reviewer?: string;
  changes: { changes: ReviewedChange[] };
}

const doc = (...Statement: Record<string, unknown>[]) => ({ Version: '2012-10-17', Statement });

describe('findings and newly-granted tables on requests, and access-level auto-approval', () => {
  let stack: Stack;
  let account: DemoAccount;
  let iam: IAMClient;

  const create = async (body: Record<string, unknown>) => {
    const response = await stack.api('/api/v2/request', { method: 'POST', body, ...ALICE });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const getRequest = async (id: string) => {
    const response = await stack.api(`/api/v2/requests/${id}`);
    expect(response.status).toBe(200);
    return JSON.parse(((await response.json()) as { request: string }).request) as Extended;
  };
  const roleArn = (name: string) => `arn:aws:iam::${account.id}:role/${name}`;
  const inline = (
    roleName: string,
    policyName: string,
    document: unknown,
    extra: Record<string, unknown> = {},
  ) => ({
    change_type: 'inline_policy',
    principal: { principal_type: 'AwsResource', principal_arn: roleArn(roleName) },
    action: 'attach',
    policy_name: policyName,
    policy: { policy_document: document },
    ...extra,
  });

  beforeAll(async () => {
    stack = await startStack();
    const org = await seedDemoOrganization({ endpointUrl: stack.env.moto.url, region: 'us-east-1' });
    account = org.accounts.filter((a) => a.id !== org.managementAccountId)[0]!;
    const requestedAt = new Date().toISOString();
    await waitForCrawl(stack, await refresh(stack), requestedAt);
    iam = await iamIn(stack.env.moto.url, account.id);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('shows a dry run the findings and the expanded grant of each change, replacing any a client sent', async () => {
    const change = inline(
      'support',
      'review-dry-run',
      doc(
        { Effect: 'Allow', Action: 's3:Get*', Resource: 'arn:aws:s3:::review-bucket/*' },
        { Effect: 'Allow', Action: 'iam:PassRole', Resource: '*' },
      ),
      { findings: [], newly_granted: { added: [], removed: [] } },
    );
    const answer = await create({ changes: { changes: [change] }, justification: 'review', dry_run: true });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body.request_created).toBe(false);
    const [shown] = (answer.body.extended_request as Extended).changes.changes;
    expect(shown?.findings?.map((f) => [f.code, f.path])).toEqual([
      ['PRIVILEGE_ESCALATION', '$.Statement[1].Action'],
    ]);
    const added = shown?.newly_granted?.added ?? [];
    const s3Actions = added.filter((g) => g.service === 's3').flatMap((g) => g.actions);
    expect(s3Actions.sort()).toEqual((await expandActions('s3:Get*')).sort());
    expect(added.find((g) => g.service === 'iam')).toEqual({
      service: 'iam',
      accessLevel: 'Write',
      actions: ['iam:PassRole'],
      resources: ['*'],
    });
    expect(shown?.newly_granted?.removed).toEqual([]);
  });

  it('shows on GET what an update adds and removes against the policy the cache holds', async () => {
    const current = await iam.send(
      new GetRolePolicyCommand({ RoleName: 'payments-api', PolicyName: 'publish-order-events' }),
    );
    const before = JSON.parse(decodeURIComponent(current.PolicyDocument ?? '')) as {
      Statement: Record<string, unknown>[];
    };
    const topic = `arn:aws:sns:us-east-1:${account.id}:order-events`;
    const change = inline(
      'service/payments-api',
      'publish-order-events',
      doc({ Effect: 'Allow', Action: ['sns:GetTopicAttributes', 'sns:Subscribe'], Resource: topic }),
      { new: false },
    );
    const created = await create({ changes: { changes: [change] }, justification: 'review' });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const request = await getRequest(created.body.request_id as string);
    const [shown] = request.changes.changes;
    expect(shown?.findings).toEqual([]);
    expect(shown?.newly_granted?.added.map((g) => [g.accessLevel, g.actions, g.resources])).toEqual([
      ['Read', ['sns:GetTopicAttributes'], [topic]],
      ['Write', ['sns:Subscribe'], [topic]],
    ]);
    // What the document in IAM (and so in the cache) allowed and the new one does not.
    expect(before.Statement.flatMap((s) => s.Action)).toEqual(['sns:Publish']);
    expect(shown?.newly_granted?.removed.flatMap((g) => g.actions)).toEqual(['sns:Publish']);
  });

  describe('an auto-approval rule with access levels', () => {
    const saveDynamicConfig = async (yaml: string) => {
      const current = (await (await stack.api('/api/v2/dynamic_config')).json()) as { sha256: string };
      return stack.api('/api/v2/dynamic_config', {
        method: 'POST',
        body: { existing_sha256: current.sha256, new_config: yaml },
      });
    };
    const rule = (levels: string) =>
      [
        'policy_requests:',
        '  auto_approval_rules:',
        '    - name: support-read',
        `      accounts: ['${account.id}']`,
        `      principal_arns: ['${roleArn('support')}']`,
        `      access_levels: ${levels}`,
        '      justification_required: false',
        '',
      ].join('\n');

    it('refuses to save a rule with an access level IAM does not have, and one with no condition', async () => {
      const unknown = await saveDynamicConfig(rule('[Read, Admin]'));
      expect(unknown.status).toBe(400);
      expect(((await unknown.json()) as { code: string }).code).toBe('VALIDATION_FAILED');
      const none = await saveDynamicConfig(rule('[Read]').replace(/ {6}access_levels.*\n/, ''));
      expect(none.status).toBe(400);
    });

    it('approves and applies a read-only request, and leaves one that writes for a person', async () => {
      const saved = await saveDynamicConfig(rule('[List, Read]'));
      expect(saved.status, await saved.clone().text()).toBe(200);
      const read = inline(
        'support',
        'review-auto-read',
        doc({
          Effect: 'Allow',
          Action: ['s3:Get*', 's3:ListBucket'],
          Resource: ['arn:aws:s3:::r', 'arn:aws:s3:::r/*'],
        }),
      );
      const write = inline(
        'support',
        'review-auto-write',
        doc({ Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: 'arn:aws:s3:::r/*' }),
      );
      // The rule reaches the service by an event; until it has, a request without justification is refused.
      await eventually(
        async () => {
          const answer = await create({ changes: { changes: [read] }, dry_run: true });
          return answer.status === 200 ? answer : undefined;
        },
        () => 'the access-level rule never let a read-only request through without a justification',
        30_000,
      );
      const refused = await create({ changes: { changes: [write] }, dry_run: true });
      expect(refused.status, JSON.stringify(refused.body)).toBe(400);
      expect(refused.body.reason).toBe('JUSTIFICATION_REQUIRED');

      const approved = await create({ changes: { changes: [read] } });
      expect(approved.status, JSON.stringify(approved.body)).toBe(200);
      expect(approved.body.extended_request).toMatchObject({
        request_status: 'approved',
        reviewer: 'rule:support-read',
      });
      expect((await iam.send(new ListRolePoliciesCommand({ RoleName: 'support' }))).PolicyNames).toContain(
        'review-auto-read',
      );

      const pending = await create({ changes: { changes: [write] }, justification: 'writing' });
      expect(pending.status, JSON.stringify(pending.body)).toBe(200);
      expect((await getRequest(pending.body.request_id as string)).request_status).toBe('pending');
      expect(
        (await iam.send(new ListRolePoliciesCommand({ RoleName: 'support' }))).PolicyNames,
      ).not.toContain('review-auto-write');
    });
  });
});
