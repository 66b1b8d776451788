import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import {
  DEMO_USERS,
  seedDemoOrganization,
  type DemoOrganization,
  type SeedDemoOrganizationOptions,
} from '@rolecall/testing';
import { refresh, waitForCrawl } from './crawls.js';
import { startStack, type Stack, type StackOptions } from './stack.js';

const ROOT = resolve(import.meta.dirname, '../..');
export const SCREENSHOT_DIR = join(ROOT, 'docs', 'screenshots');
export const WEB_DIST = join(ROOT, 'packages', 'web', 'dist');

/** Debian's chromium (scripts/install-system-deps.sh); CHROMIUM_BIN picks another. Never a downloaded one. */
export function findChromium(): string {
  const candidates = [process.env.CHROMIUM_BIN, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  const found = candidates.find((path): path is string => path !== undefined && existsSync(path));
  if (!found) throw new Error('chromium is not installed: run scripts/install-system-deps.sh (apt chromium)');
  return found;
}

/** Headless chromium, quiet: no updates, syncing or background traffic of its own. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: findChromium(),
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

export const VIEWPORTS = {
  desktop: { width: 1400, height: 900 },
  phone: { width: 390, height: 844 },
} as const;
export type ViewportName = keyof typeof VIEWPORTS;

/** A fresh browser profile at the gateway, optionally already signed in as a demo user. */
export async function newContext(
  browser: Browser,
  baseURL: string,
  options: { user?: string; viewport?: ViewportName } = {},
): Promise<BrowserContext> {
  const viewport = VIEWPORTS[options.viewport ?? 'desktop'];
  const context = await browser.newContext({
    baseURL,
    viewport,
    ...(options.viewport === 'phone' ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}),
  });
  if (options.user) await signIn(context, options.user);
  return context;
}

/** The demo sign-in as the page does it: the gateway sets the session cookie on this context. */
export async function signIn(context: BrowserContext, email: string): Promise<void> {
  const response = await context.request.post('/api/v3/session/demo', { data: { email } });
  if (!response.ok())
    throw new Error(`demo sign-in as ${email} answered ${response.status()}: ${await response.text()}`);
}

export interface AxeViolation {
  id: string;
  impact: string | null | undefined;
  help: string;
  nodes: string[];
}

/** axe-core on the page as it is now; only what matters for the pass/fail line (serious and critical). */
export async function seriousA11yViolations(page: Page): Promise<AxeViolation[]> {
  const results = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => n.target.join(' ')),
    }));
}

/** Saves docs/screenshots/<name>-<viewport>.png, the full page. */
export async function screenshot(page: Page, name: string, viewport: ViewportName): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}-${viewport}.png`);
  await page.screenshot({ path, fullPage: viewport === 'phone' ? false : true, animations: 'disabled' });
  return path;
}

export interface UiStack {
  stack: Stack;
  org: DemoOrganization;
  browser: Browser;
  stop(): Promise<void>;
}

/**
 * The whole system as the demo runs it, serving the built UI: every service against moto seeded with the
 * demo organization, the demo users able to sign in, console sign-in going to the federation stand-in,
 * one full crawl done. Needs `npx turbo run build` first (the gateway serves packages/web/dist).
 */
export async function startUiStack(
  options: StackOptions & { seed?: Partial<SeedDemoOrganizationOptions>; crawlTimeoutMs?: number } = {},
): Promise<UiStack> {
  if (!existsSync(join(WEB_DIST, 'index.html'))) {
    throw new Error('the web UI is not built: run `npx turbo run build` first');
  }
  const stack = await startStack({ ...options, services: [] });
  try {
    const org = await seedDemoOrganization({
      ...options.seed,
      endpointUrl: stack.env.moto.url,
      region: 'us-east-1',
    });
    await stack.updateConfig({
      demo: { federationStandIn: true, users: DEMO_USERS.map((u) => ({ ...u, groups: [...u.groups] })) },
      broker: { federationUrl: `${stack.gatewayUrl}/demo/federation` },
    });
    for (const name of options.services ?? (['cache', 'crawler', 'broker', 'requests', 'gateway'] as const)) {
      await stack.start(name);
    }
    const requestedAt = new Date().toISOString();
    await waitForCrawl(stack, await refresh(stack), requestedAt, options.crawlTimeoutMs);
    const browser = await launchBrowser();
    return {
      stack,
      org,
      browser,
      async stop() {
        await browser.close();
        await stack.stop();
      },
    };
  } catch (error) {
    const logs = stack.services.map((s) => `--- ${s.name}\n${s.output().slice(-4000)}`).join('\n');
    await stack.stop();
    throw new Error(`the UI stack did not start: ${String(error)}\n${logs}`, { cause: error });
  }
}
