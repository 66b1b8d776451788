import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  newContext,
  screenshot,
  seriousA11yViolations,
  startUiStack,
  type UiStack,
} from '../support/browser.js';

const ALICE = 'alice@example.com';

describe('the roles page in a browser', () => {
  let ui: UiStack;
  const prodAccount = () => ui.org.accounts.find((a) => a.name === 'prod')!;

  beforeAll(async () => {
    ui = await startUiStack();
  });
  afterAll(async () => {
    await ui?.stop();
  });

  /** alice on the roles page, its filter filled in. */
  async function rolesFilteredBy(text: string) {
    const context = await newContext(ui.browser, ui.stack.gatewayUrl, { user: ALICE });
    const page = await context.newPage();
    await page.goto('/');
    await page.getByRole('searchbox', { name: 'Find a role' }).fill(text);
    return { context, page };
  }

  it('signs alice in on the sign-in page, and she finds a role and opens the console as it', async () => {
    const context = await newContext(ui.browser, ui.stack.gatewayUrl);
    const page = await context.newPage();
    await page.goto('/');
    // Signed out, the home page sends her to the demo's user picker.
    await page.waitForURL(/\/signin\?next=%2F$/);
    await page.getByRole('button', { name: `Sign in as ${ALICE}` }).click();
    await page.waitForURL((url) => url.pathname === '/');
    await page.getByRole('heading', { name: /Your roles/ }).waitFor();

    await page.getByRole('searchbox', { name: 'Find a role' }).fill('payments-oncall');
    const card = page.locator('li', { hasText: 'payments-oncall' }).filter({ hasText: prodAccount().id });
    await card.first().waitFor();
    expect(await page.getByText('payments-oncall', { exact: true }).count()).toBeGreaterThan(0);

    const [consoleTab] = await Promise.all([
      context.waitForEvent('page'),
      card
        .first()
        .getByRole('link', { name: /Open console as payments-oncall in prod/ })
        .click(),
    ]);
    await consoleTab.waitForURL(/\/demo\/federation\?Action=login/);
    expect(await consoleTab.locator('#role').textContent()).toBe('payments-oncall');
    expect(await consoleTab.locator('#account').textContent()).toBe(prodAccount().id);
    expect(await consoleTab.locator('#session').textContent()).toContain(ALICE);
    await context.close();
  });

  it('shows the command-line snippets of a role once its section is opened, with the chosen region', async () => {
    const { context, page } = await rolesFilteredBy('payments-oncall');
    const card = page.locator('li', { hasText: 'payments-oncall' }).filter({ hasText: prodAccount().id });
    const arn = `arn:aws:iam::${prodAccount().id}:role/payments-oncall`;
    await card.getByRole('button', { name: 'Console region for payments-oncall' }).click();
    await card.getByRole('option', { name: 'eu-west-1' }).click();
    await card.getByRole('button', { name: 'Command line for payments-oncall' }).click();
    const snippets = card.getByRole('group', { name: 'Command line for payments-oncall' });
    await snippets.getByText(`weep console ${arn}`).waitFor();
    expect(await snippets.locator('pre').allTextContents()).toEqual([
      `weep console ${arn}`,
      `[profile prod-payments-oncall]\ncredential_process = weep credential_process ${arn}\nregion = eu-west-1`,
      `eval $(weep export ${arn})`,
    ]);
    expect(await snippets.getByRole('button', { name: /^Copy the .* snippet$/ }).count()).toBe(3);
    await context.close();
  });

  it('says why nothing matches and offers a request', async () => {
    const { context, page } = await rolesFilteredBy('no-such-role-anywhere');
    await page.getByText('No role matches “no-such-role-anywhere”').waitFor();
    const request = page.getByRole('link', { name: 'Request access' }).last();
    expect(await request.getAttribute('href')).toBe('/selfservice');
    await context.close();
  });

  it('shows carol, whose groups grant nothing, an empty list that says so', async () => {
    const context = await newContext(ui.browser, ui.stack.gatewayUrl, { user: 'carol@example.com' });
    const page = await context.newPage();
    await page.goto('/');
    await page.getByText('You have no roles yet').waitFor();
    expect(await page.getByText('contractors').count()).toBeGreaterThan(0);
    await context.close();
  });

  it('takes screenshots and finds no serious accessibility problem on sign-in and roles, desktop and phone', async () => {
    for (const viewport of ['desktop', 'phone'] as const) {
      const signedOut = await newContext(ui.browser, ui.stack.gatewayUrl, { viewport });
      const signInPage = await signedOut.newPage();
      await signInPage.goto('/signin');
      await signInPage.getByRole('button', { name: `Sign in as ${ALICE}` }).waitFor();
      expect(await seriousA11yViolations(signInPage)).toEqual([]);
      await screenshot(signInPage, 'signin', viewport);
      await signedOut.close();

      const context = await newContext(ui.browser, ui.stack.gatewayUrl, { user: ALICE, viewport });
      const page = await context.newPage();
      await page.goto('/');
      await page.getByText('payments-oncall').first().waitFor();
      expect(await seriousA11yViolations(page)).toEqual([]);
      await screenshot(page, 'roles', viewport);
      await context.close();
    }
  });
});
