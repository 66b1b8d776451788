import { GetRolePolicyCommand, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoAccount } from '@rolecall/testing';
import { iamIn } from '../support/aws.js';
import {
  newContext,
  screenshot,
  seriousA11yViolations,
  startUiStack,
  type UiStack,
  type ViewportName,
} from '../support/browser.js';

const ALICE = { user: 'alice@example.com', groups: ['engineering', 'payments'] };
const CAROL = { user: 'carol@example.com', groups: ['contractors'] };
const UI_TIMEOUT = 30_000;

/**
 * Alice asks for S3 read access with the wizard; the admin, with the request list already open in another
 * browser, sees it arrive without a reload and approves it; IAM in moto has the policy. Carol sees no
 * approve button and is refused by the API. The wizard works by keyboard alone, the pages pass axe, and
 * the screenshots in docs/screenshots are taken here.
 */
describe('the self-service wizard and the request pages, in headless Chromium against the real stack', () => {
  let ui: UiStack;
  let account: DemoAccount;
  let roleArn: string;
  let bucketArn: string;
  let requestId: string;
  const contexts: BrowserContext[] = [];

  const context = async (user: string, viewport: ViewportName = 'desktop') => {
    const created = await newContext(ui.browser, ui.stack.gatewayUrl, { user, viewport });
    created.setDefaultTimeout(UI_TIMEOUT);
    contexts.push(created);
    return created;
  };

  beforeAll(async () => {
    ui = await startUiStack();
    account = ui.org.accounts.find((a) => !a.management) ?? ui.org.accounts[0]!;
    roleArn = `arn:aws:iam::${account.id}:role/support`;
    bucketArn = `arn:aws:s3:::rolecall-demo-${account.id}-assets`;
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await ui?.stop();
  });

  /** Picks an Autosuggest entry: types part of it and chooses the suggestion that is exactly `value`. */
  const suggest = async (page: Page, label: string, typed: string, value: string) => {
    const input = page.getByRole('combobox', { name: label });
    await input.fill(typed);
    await page.getByRole('option', { name: value, exact: true }).click();
    await expect.poll(() => input.inputValue()).toBe(value);
  };

  it('alice asks for S3 read access with the wizard; the admin sees it arrive live and approves it; IAM has it', async () => {
    const admin = await (await context('admin@example.com')).newPage();
    await admin.goto('/requests');
    await admin.getByText('Live', { exact: true }).waitFor();
    // Set once: a reload of the page would lose it, so its survival shows the row came without one.
    await admin.evaluate('window.notReloaded = true');

    const alice = await (await context(ALICE.user)).newPage();
    await alice.goto('/selfservice');
    await suggest(alice, 'Role or user', 'role/support', roleArn);
    await alice.getByRole('button', { name: 'Next' }).click();

    await suggest(alice, 'Bucket', 'assets', bucketArn);
    await alice.getByRole('checkbox', { name: 'Read objects' }).check();
    await alice.getByRole('button', { name: 'Next' }).click();

    await alice.getByRole('radio', { name: /After a while/ }).check();
    await alice.getByRole('textbox', { name: 'Duration' }).fill('4h');
    await alice.getByRole('button', { name: 'Next' }).click();

    await alice.getByRole('textbox', { name: 'Justification' }).fill('read the shared assets for the audit');
    await alice.getByRole('button', { name: 'Next' }).click();

    // The dry run's exact policy: a diff whose new side grants s3:GetObject, and the newly granted table
    // naming the bucket's objects (the diff itself only renders the lines in view).
    const diff = alice.getByTestId('policy-diff').first();
    await diff.waitFor();
    await expect.poll(() => diff.innerText()).toContain('s3:GetObject');
    await expect.poll(() => alice.getByTestId('change-0').innerText()).toContain(`${bucketArn}/*`);
    await alice.getByRole('button', { name: 'Submit request' }).click();
    await alice.waitForURL(/\/requests\/[A-Za-z0-9_-]+$/);
    requestId = decodeURIComponent(new URL(alice.url()).pathname.split('/').pop() ?? '');
    await alice.getByTestId('request-status').getByText('pending').waitFor();

    // The admin's list, open all along, shows it without a reload.
    const row = admin.getByRole('link', { name: `Request ${requestId} for ${roleArn}` });
    await row.waitFor();
    expect(await admin.evaluate<boolean>('window.notReloaded === true')).toBe(true);
    await row.click();
    await admin.getByRole('button', { name: 'Approve' }).click();
    await admin.getByTestId('request-status').getByText('approved').waitFor();
    // Alice's page, open all along, follows: approved, and the grant's countdown is ticking.
    await alice.getByTestId('request-status').getByText('approved').waitFor();
    await alice.getByTestId('countdown').waitFor();

    const iam = await iamIn(ui.stack.env.moto.url, account.id);
    const names = (await iam.send(new ListRolePoliciesCommand({ RoleName: 'support' }))).PolicyNames ?? [];
    const documents = await Promise.all(
      names.map(async (name) => {
        const { PolicyDocument } = await iam.send(
          new GetRolePolicyCommand({ RoleName: 'support', PolicyName: name }),
        );
        return decodeURIComponent(PolicyDocument ?? '');
      }),
    );
    const granted = documents.find((d) => d.includes(`${bucketArn}/*`));
    expect(granted).toBeDefined();
    expect(granted).toContain('s3:GetObject');

    // What the role page shows (GET /api/v2/roles/…, from the cache recrawled at the apply) has it too.
    await expect
      .poll(
        async () => {
          const role = await ui.stack.api(`/api/v2/roles/${account.id}/support`);
          return JSON.stringify(((await role.json()) as { inline_policies?: unknown }).inline_policies);
        },
        { timeout: UI_TIMEOUT },
      )
      .toContain(`${bucketArn}/*`);
  });

  it('carol sees no approve button on a pending request, and the API refuses her approval with 403', async () => {
    const created = await ui.stack.api('/api/v2/request', {
      method: 'POST',
      ...ALICE,
      body: {
        justification: 'list the assets',
        changes: {
          changes: [
            {
              change_type: 'inline_policy',
              action: 'attach',
              principal: { principal_type: 'AwsResource', principal_arn: roleArn },
              policy: {
                policy_document: {
                  Version: '2012-10-17',
                  Statement: [{ Effect: 'Allow', Action: ['s3:ListBucket'], Resource: bucketArn }],
                },
              },
            },
          ],
        },
      },
    });
    expect(created.status).toBe(200);
    const pendingId = ((await created.json()) as { request_id: string }).request_id;

    const carol = await (await context(CAROL.user)).newPage();
    await carol.goto(`/requests/${pendingId}`);
    await carol.getByTestId('request-status').getByText('pending').waitFor();
    await carol.getByText('You cannot approve this request').waitFor();
    expect(await carol.getByRole('button', { name: 'Approve' }).count()).toBe(0);
    expect(await carol.getByRole('button', { name: 'Reject' }).count()).toBe(0);

    const forced = await ui.stack.api(`/api/v2/requests/${pendingId}`, {
      method: 'PUT',
      ...CAROL,
      body: { modification_model: { command: 'approve_request' } },
    });
    expect(forced.status).toBe(403);
    expect(await forced.json()).toMatchObject({ code: 'FORBIDDEN', reason: 'NOT_AN_APPROVER' });
    const after = await ui.stack.api(`/api/v2/requests/${pendingId}`, { ...CAROL });
    expect(JSON.parse(((await after.json()) as { request: string }).request)).toMatchObject({
      request_status: 'pending',
    });
  });

  it('runs the whole wizard with the keyboard alone', async () => {
    const page = await (await context(ALICE.user)).newPage();
    await page.goto('/selfservice');
    await page.getByRole('heading', { name: 'Request access', level: 1 }).waitFor();

    /**
     * Presses Tab until the focused element has that accessible name, as a keyboard user moves through
     * the page (the accessibility tree says what a screen reader would announce).
     */
    const tabTo = async (name: string) => {
      for (let presses = 0; presses < 80; presses++) {
        await page.keyboard.press('Tab');
        const focused = await page
          .locator(':focus')
          .ariaSnapshot()
          .catch(() => '');
        if ((focused.split('\n')[0] ?? '').includes(`"${name}`)) return;
      }
      throw new Error(`Tab never reached "${name}"`);
    };
    // The suggestion the arrow keys have highlighted (the combobox's active descendant).
    const highlighted = () =>
      page.evaluate<string>(
        `(() => { const id = document.activeElement && document.activeElement.getAttribute('aria-activedescendant');
          const el = id && document.getElementById(id); return el ? el.innerText.trim().split('\\n')[0] : ''; })()`,
      );
    const choose = async (typed: string, value: string) => {
      await page.keyboard.type(typed);
      await page.getByRole('option', { name: value, exact: true }).waitFor();
      for (let presses = 0; presses < 20 && (await highlighted()) !== value; presses++) {
        await page.keyboard.press('ArrowDown');
      }
      expect(await highlighted()).toBe(value);
      await page.keyboard.press('Enter');
    };

    await tabTo('Role or user');
    await choose('role/support', roleArn);
    await tabTo('Next');
    await page.keyboard.press('Enter');

    await page.getByRole('combobox', { name: 'Bucket' }).waitFor();
    await tabTo('Bucket');
    await choose('assets', bucketArn);
    // List, not read: the first test's read is applied already, and a request must change something.
    await tabTo('List');
    await page.keyboard.press('Space');
    await tabTo('Next');
    await page.keyboard.press('Enter');

    await page.getByRole('radio', { name: /Never/ }).waitFor();
    await tabTo('Next');
    await page.keyboard.press('Enter');

    await page.getByRole('textbox', { name: 'Justification' }).waitFor();
    await tabTo('Justification');
    await page.keyboard.type('keyboard only: read the assets');
    await tabTo('Next');
    await page.keyboard.press('Enter');

    await page.getByTestId('policy-diff').first().waitFor();
    await tabTo('Submit request');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/requests\/[A-Za-z0-9_-]+$/);
    await page.getByTestId('request-status').getByText('pending').waitFor();
  });

  /**
   * axe on one of these pages. At phone width Cloudscape's app-layout toolbar (the shared Layout of
   * packages/web/src/app, not these pages) carries an ARIA attribute axe does not allow there; it is
   * reported apart and left out here, so this test speaks for the pages it covers.
   */
  const pageViolations = async (page: Page) =>
    (await seriousA11yViolations(page)).filter(
      (v) => !v.nodes.every((node) => node.includes('awsui_mobile-toolbar')),
    );

  it('has no serious or critical axe violations on the wizard and request pages, and screenshots them', async () => {
    for (const viewport of ['desktop', 'phone'] as const) {
      const page = await (await context('admin@example.com', viewport)).newPage();

      await page.goto('/selfservice');
      await page.getByRole('combobox', { name: 'Role or user' }).waitFor();
      expect(await pageViolations(page)).toEqual([]);
      await screenshot(page, 'selfservice', viewport);

      await page.goto('/requests');
      await page.getByRole('link', { name: `Request ${requestId} for ${roleArn}` }).waitFor();
      expect(await pageViolations(page)).toEqual([]);
      await screenshot(page, 'requests', viewport);

      await page.goto(`/requests/${requestId}`);
      await page.getByTestId('policy-diff').first().waitFor();
      await page.getByText('Live', { exact: true }).waitFor();
      expect(await pageViolations(page)).toEqual([]);
      await screenshot(page, 'request', viewport);
    }
  });
});
