import { GetRolePolicyCommand, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iamIn } from '../support/aws.js';
import {
  newContext,
  screenshot,
  seriousA11yViolations,
  startUiStack,
  type UiStack,
  type ViewportName,
} from '../support/browser.js';
import { eventually } from '../support/stack.js';

const ADMIN = 'admin@example.com';
const ALICE = 'alice@example.com';
const CAROL = 'carol@example.com';
const VIEWPORTS: ViewportName[] = ['desktop', 'phone'];

/** No serious or critical axe finding, and a screenshot at both sizes, for the page `open` shows. */
async function auditPage(ui: UiStack, user: string, name: string, open: (page: Page) => Promise<void>) {
  for (const viewport of VIEWPORTS) {
    const context = await newContext(ui.browser, ui.stack.gatewayUrl, { user, viewport });
    const page = await context.newPage();
    await open(page);
    expect({ page: name, viewport, violations: await seriousA11yViolations(page) }).toEqual({
      page: name,
      viewport,
      violations: [],
    });
    await screenshot(page, name, viewport);
    await context.close();
  }
}

describe('the resource, challenge and admin pages in a browser', () => {
  let ui: UiStack;
  const account = (name: string) => ui.org.accounts.find((a) => a.name === name)!;

  beforeAll(async () => {
    ui = await startUiStack();
  });
  afterAll(async () => {
    await ui?.stop();
  });

  it('filters resources on the server by name and type, with freshness and the crawl status', async () => {
    const context = await newContext(ui.browser, ui.stack.gatewayUrl, { user: ALICE });
    const page = await context.newPage();
    await page.goto('/policies');
    await page.getByText(/account and type pairs crawled/).waitFor();
    const searched = page.waitForResponse(
      (r) => r.url().includes('/api/v3/resources?') && r.url().includes('query=payments'),
    );
    await page.getByRole('searchbox', { name: 'Name or ARN contains' }).fill('payments');
    await searched;
    await page.getByRole('link', { name: 'payments-oncall' }).first().waitFor();
    const names = await page.locator('table tbody tr td:first-child').allTextContents();
    expect(names.length).toBeGreaterThan(0);
    expect(names.every((n) => n.toLowerCase().includes('payments'))).toBe(true);
    expect(await page.locator('table tbody').textContent()).toMatch(/ago|just now/);
    // The filter is in the address, so the search survives a reload and can be shared.
    await page.reload();
    await page.getByRole('link', { name: 'payments-oncall' }).first().waitFor();
    expect(new URL(page.url()).searchParams.get('query')).toBe('payments');
    await context.close();
    await auditPage(ui, ALICE, 'resources', async (p) => {
      await p.goto('/resources?query=payments');
      await p.getByRole('link', { name: 'payments-oncall' }).first().waitFor();
    });
  });

  it('shows a role whole, and an admin saves a new inline policy that is applied in AWS and shown after', async () => {
    const prod = account('prod').id;
    const rolePage = `/policies/edit/${prod}/iamrole/incident-responder`;
    const context = await newContext(ui.browser, ui.stack.gatewayUrl, { user: ADMIN });
    const page = await context.newPage();
    await page.goto(rolePage);
    await page.getByRole('heading', { name: 'Inline policy deny-org-changes' }).waitFor();
    await page.getByRole('heading', { name: /Managed policies/ }).waitFor();
    // The demo gives it a permissions boundary, a customer managed policy with a page of its own.
    expect(await page.locator('a[href*="/managed_policy/"]').count()).toBeGreaterThan(0);

    const editor = page.getByRole('textbox', { name: 'New inline policy (JSON)' });
    await editor.click();
    await page.keyboard.press('Control+A');
    const statement = {
      Effect: 'Allow',
      Action: ['s3:GetObject'],
      Resource: ['arn:aws:s3:::ui-test-bucket/*'],
    };
    await page.keyboard.insertText(
      JSON.stringify({ Version: '2012-10-17', Statement: [statement] }, null, 2),
    );
    await page.getByRole('button', { name: 'Review and request' }).last().click();
    const dialog = page.getByRole('dialog');
    await dialog
      .getByRole('textbox', { name: 'Justification' })
      .fill('Incident responders read the UI test bucket');
    await dialog
      .getByText('Dry run', { exact: true })
      .or(dialog.getByText('The dry run refused this change'))
      .waitFor();
    expect(await dialog.textContent()).not.toContain('The dry run refused this change');
    await dialog.getByRole('button', { name: 'Approve and apply now' }).click();
    await dialog.getByText(/Request .+ created/).waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();

    const iam = await iamIn(ui.stack.env.moto.url, prod);
    const created = await eventually(
      async () => {
        const names =
          (await iam.send(new ListRolePoliciesCommand({ RoleName: 'incident-responder' }))).PolicyNames ?? [];
        return names.find((n) => n.startsWith('rolecall-'));
      },
      'the new inline policy never reached AWS',
      60_000,
    );
    const applied = await iam.send(
      new GetRolePolicyCommand({ RoleName: 'incident-responder', PolicyName: created }),
    );
    expect(decodeURIComponent(applied.PolicyDocument ?? '')).toContain('arn:aws:s3:::ui-test-bucket/*');

    await eventually(
      async () => {
        await page.goto(rolePage);
        await page.getByRole('heading', { name: 'Inline policy deny-org-changes' }).waitFor();
        return (
          (await page.getByRole('heading', { name: `Inline policy ${created}` }).count()) > 0 || undefined
        );
      },
      'the role page never showed the applied policy',
      90_000,
    );
    await context.close();

    await auditPage(ui, ADMIN, 'resource', async (p) => {
      await p.goto(rolePage);
      await p.getByRole('textbox', { name: 'Inline policy deny-org-changes (JSON)' }).waitFor();
    });
  });

  it('restyles the Weep challenge: alice sees who asks and from where, approves, and weep gets its JWT', async () => {
    const challenge = await fetch(`${ui.stack.gatewayUrl}/noauth/v1/challenge_generator/${ALICE}`);
    const { challenge_url: challengeUrl, polling_url: pollingUrl } = (await challenge.json()) as {
      challenge_url: string;
      polling_url: string;
    };
    await auditPage(ui, ALICE, 'challenge', async (p) => {
      await p.goto(challengeUrl);
      await p.getByRole('button', { name: 'Approve' }).waitFor();
    });
    const context = await newContext(ui.browser, ui.stack.gatewayUrl, { user: ALICE });
    const page = await context.newPage();
    await page.goto(challengeUrl);
    await page.getByText('127.0.0.1').first().waitFor();
    expect(await page.getByText(ALICE).count()).toBeGreaterThan(0);
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByText(/weep is now signed in/).waitFor();
    const polled = (await (await fetch(pollingUrl)).json()) as { status: string; user?: string };
    expect(polled).toMatchObject({ status: 'success', user: ALICE });
    await context.close();
  });

  it('shows carol no approve button on another user’s challenge or request, and the API refuses her', async () => {
    const challenge = await fetch(`${ui.stack.gatewayUrl}/noauth/v1/challenge_generator/${ALICE}`);
    const { challenge_url: challengeUrl } = (await challenge.json()) as { challenge_url: string };
    const token = challengeUrl.split('/').pop() ?? '';

    const created = await ui.stack.api('/api/v2/request', {
      method: 'POST',
      user: ALICE,
      groups: ['engineering', 'payments'],
      body: {
        justification: 'alice needs the support cases',
        changes: {
          changes: [
            {
              principal: {
                principal_type: 'AwsResource',
                principal_arn: `arn:aws:iam::${account('prod').id}:role/support`,
              },
              change_type: 'inline_policy',
              action: 'attach',
              policy: {
                policy_document: {
                  Version: '2012-10-17',
                  Statement: [{ Effect: 'Allow', Action: 'support:*', Resource: '*' }],
                },
              },
            },
          ],
        },
      },
    });
    expect(created.status).toBe(200);
    const { request_id: requestId } = (await created.json()) as { request_id: string };

    const context = await newContext(ui.browser, ui.stack.gatewayUrl, { user: CAROL });
    const page = await context.newPage();
    await page.goto(challengeUrl);
    await page.getByText(/created for alice@example.com/).waitFor();
    expect(await page.getByRole('button', { name: 'Approve' }).count()).toBe(0);

    await page.goto(`/requests/${requestId}`);
    await page
      .getByTestId('request-status')
      .or(page.getByText(/Could not load request/))
      .first()
      .waitFor();
    expect(await page.getByRole('button', { name: /approve/i }).count()).toBe(0);

    await page.goto('/admin');
    await page.getByText('For administrators only').waitFor();

    const carol = { user: CAROL, groups: ['contractors'] };
    const forcedChallenge = await ui.stack.api(`/api/v2/challenge_validator/${token}`, {
      method: 'POST',
      body: { nonce: 'forced' },
      ...carol,
    });
    expect(forcedChallenge.status).toBe(403);
    const forcedApproval = await ui.stack.api(`/api/v2/requests/${requestId}`, {
      method: 'PUT',
      body: { modification_model: { command: 'approve_request' } },
      ...carol,
    });
    expect([403, 404]).toContain(forcedApproval.status);
    const after = await ui.stack.api(`/api/v2/requests/${requestId}`, {
      user: ALICE,
      groups: ['engineering', 'payments'],
    });
    expect(JSON.parse(((await after.json()) as { request: string }).request)).toMatchObject({
      request_status: 'pending',
    });
    await context.close();
  });

  it('lets an admin refresh the cache and watch the crawl, edit the dynamic config, and read the audit log', async () => {
    const context = await newContext(ui.browser, ui.stack.gatewayUrl, { user: ADMIN });
    const page = await context.newPage();
    await page.goto('/admin/cache');
    await page.getByRole('button', { name: 'Refresh everything' }).click();
    await page.getByText(/Crawl .+ queued \d+ jobs?/).waitFor();
    await page
      .getByText(/crawled (just now|\d+ (sec|min)\. ago)/)
      .first()
      .waitFor();

    await page.goto('/admin/config');
    const yaml = page.getByRole('textbox', { name: 'Dynamic config (YAML)' });
    await yaml.waitFor();
    const original = await yaml.inputValue();
    await yaml.fill(`${original}\n# edited in the browser\n`);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText(/^Saved\./).waitFor();

    // Someone else saves meanwhile: this browser's next save is refused, and nothing is written.
    const current = (await (await ui.stack.api('/api/v2/dynamic_config')).json()) as {
      dynamicConfig: string;
      sha256: string;
    };
    const other = await ui.stack.api('/api/v2/dynamic_config', {
      method: 'POST',
      body: {
        existing_sha256: current.sha256,
        new_config: `${current.dynamicConfig}\n# edited by someone else\n`,
      },
    });
    expect(other.status).toBe(200);
    await yaml.fill(`${await yaml.inputValue()}# a second edit\n`);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Someone else saved the config after you opened it').waitFor();
    const stored = (await (await ui.stack.api('/api/v2/dynamic_config')).json()) as { dynamicConfig: string };
    expect(stored.dynamicConfig).toContain('# edited by someone else');
    expect(stored.dynamicConfig).not.toContain('# a second edit');

    // A console sign-in to find in the audit log.
    const prod = account('prod').id;
    const login = await ui.stack.api(`/api/v2/role_login/arn:aws:iam::${prod}:role/readonly`, {
      user: ALICE,
      groups: ['engineering', 'payments'],
    });
    expect(login.status).toBe(200);
    await page.goto('/admin/audit');
    await page.getByRole('textbox', { name: 'User' }).fill(ALICE);
    await page.getByRole('button', { name: 'Filter' }).click();
    await page
      .getByRole('cell', { name: `arn:aws:iam::${prod}:role/readonly` })
      .first()
      .waitFor();
    const users = await page.locator('table tbody tr td:nth-child(2)').allTextContents();
    expect(users.length).toBeGreaterThan(0);
    expect(users.every((u) => u === ALICE)).toBe(true);
    await context.close();

    for (const tab of ['cache', 'config', 'audit'] as const) {
      await auditPage(ui, ADMIN, `admin-${tab}`, async (p) => {
        await p.goto(`/admin/${tab}`);
        await p.getByRole('tab', { name: /Cache and crawls/ }).waitFor();
        await p.waitForLoadState('networkidle');
      });
    }
  });
});
