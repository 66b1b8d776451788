/**
 * bench/ui: the web UI in headless Chromium against the demo organization (every service, moto), with
 * BENCH_UI_ROLES_PER_ACCOUNT × 5 accounts of roles crawled into the cache (default 2,000: 10k resources).
 *
 *   npm run bench -- ui
 *   BENCH_UI_ROLES_PER_ACCOUNT=200 npx tsx bench/ui.ts      # a quick run
 *
 * Prints, for `/`, `/resources` and a request page: the JS and CSS a cold browser downloads (as served,
 * brotli, and gzip -9 of the same files); the time from navigation to the role list drawn; the time
 * from a keystroke in the resource filter to the table showing its result. Each time is set against a
 * floor measured in the same run and page: what the page cannot avoid (loading index.html and the one
 * API call the role list needs; the filter's own API call). Targets: ≤ 250 KB gzipped JS on the roles
 * page, role list ≤ 1 s, filter keystroke ≤ 100 ms. A measurement, never a pass/fail test.
 */
import { execSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import type { BrowserContext, Page } from 'playwright-core';
import { newContext, startUiStack, type UiStack } from '../test/support/browser.js';

const ROLES_PER_ACCOUNT = Number(process.env.BENCH_UI_ROLES_PER_ACCOUNT ?? 2000);
const RUNS = Number(process.env.BENCH_UI_RUNS ?? 5);
const ALICE = 'alice@example.com';
const ADMIN = 'admin@example.com';

const load = () =>
  execSync('uptime')
    .toString()
    .trim()
    .replace(/.*load average/, 'load average');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

interface Transfer {
  js: number;
  css: number;
  jsGzip: number;
  cssGzip: number;
}

/** What a browser with an empty cache downloads for a page, until the network is quiet. */
async function transferOf(ui: UiStack, user: string, path: string, ready: (page: Page) => Promise<void>) {
  const context = await newContext(ui.browser, ui.stack.gatewayUrl, { user });
  const page = await context.newPage();
  const pending: Promise<void>[] = [];
  const total: Transfer = { js: 0, css: 0, jsGzip: 0, cssGzip: 0 };
  page.on('requestfinished', (request) => {
    const kind = request.resourceType();
    if (kind !== 'script' && kind !== 'stylesheet') return;
    pending.push(
      (async () => {
        const [sizes, response] = await Promise.all([request.sizes(), request.response()]);
        const body = response ? await response.body() : Buffer.alloc(0);
        const gzip = gzipSync(body, { level: 9 }).length;
        if (kind === 'script') {
          total.js += sizes.responseBodySize;
          total.jsGzip += gzip;
        } else {
          total.css += sizes.responseBodySize;
          total.cssGzip += gzip;
        }
      })(),
    );
  });
  await page.goto(path);
  try {
    await ready(page);
  } catch (error) {
    throw new Error(
      `${path} never became ready; it shows: ${(await page.locator('body').innerText()).slice(0, 800)}`,
      {
        cause: error,
      },
    );
  }
  await page.waitForLoadState('networkidle');
  await Promise.all(pending);
  await context.close();
  return total;
}

/** Marks, inside the page, when the first role card is drawn, relative to the navigation's start. */
const ROLE_LIST_PROBE = `
  new MutationObserver((_m, observer) => {
    if (document.querySelector('a[aria-label^="Open console as"]')) {
      window.__roleListAt = performance.now();
      observer.disconnect();
    }
  }).observe(document, { subtree: true, childList: true });
`;

async function roleListTimes(context: BrowserContext): Promise<{ ms: number; floorMs: number }> {
  const page = await context.newPage();
  await page.addInitScript(ROLE_LIST_PROBE);
  await page.goto('/');
  await page.waitForFunction(
    () => (globalThis as unknown as { __roleListAt?: number }).__roleListAt !== undefined,
    null,
    { timeout: 120_000 },
  );
  const ms = await page.evaluate(() => (globalThis as unknown as { __roleListAt: number }).__roleListAt);
  // The floor: index.html, then the role list's one API call, fetched back to back by this page.
  const floorMs = await page.evaluate(async () => {
    const start = performance.now();
    await (await fetch('/', { cache: 'no-store', headers: { accept: 'text/html' } })).text();
    await (await fetch('/api/v3/roles/eligible', { cache: 'no-store' })).json();
    return performance.now() - start;
  });
  await page.close();
  return { ms, floorMs };
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

/**
 * BENCH_UI_PROFILE=1: one cold load of the role list with the renderer's CPU profiler on, printing when
 * each request of the page ended and which functions held the main thread longest (self time), to find
 * where the time between the floor and the role list goes.
 */
async function profileRoleList(context: BrowserContext): Promise<void> {
  const page = await context.newPage();
  await page.addInitScript(ROLE_LIST_PROBE);
  const profiling = await startProfiler(context, page);
  await page.goto('/');
  await page.waitForFunction(
    () => (globalThis as unknown as { __roleListAt?: number }).__roleListAt !== undefined,
    null,
    { timeout: 120_000 },
  );
  const profile = await profiling.stop();
  const timeline = await page.evaluate(() => {
    interface Entry {
      name: string;
      startTime: number;
      requestStart: number;
      responseEnd: number;
      domContentLoadedEventEnd?: number;
    }
    const w = globalThis as unknown as {
      performance: { getEntriesByType(type: string): Entry[] };
      location: { origin: string };
      __roleListAt: number;
    };
    const nav = w.performance.getEntriesByType('navigation')[0];
    const rows = w.performance
      .getEntriesByType('resource')
      .map(
        (e) => [e.name.replace(w.location.origin, ''), e.startTime, e.requestStart, e.responseEnd] as const,
      );
    return {
      html: nav?.responseEnd ?? NaN,
      domContentLoaded: nav?.domContentLoadedEventEnd ?? NaN,
      roleList: w.__roleListAt,
      rows,
    };
  });
  console.log(
    `\nprofile of one cold load: index.html ${timeline.html.toFixed(0)} ms, DOMContentLoaded ` +
      `${timeline.domContentLoaded.toFixed(0)} ms, role list ${timeline.roleList.toFixed(0)} ms`,
  );
  console.log('  asked → sent → answered, ms after navigation');
  for (const [name, start, sent, end] of timeline.rows) {
    console.log(
      `  ${start.toFixed(0).padStart(5)} → ${sent.toFixed(0).padStart(5)} → ${end.toFixed(0).padStart(5)}  ${name.slice(0, 90)}`,
    );
  }
  printProfile(profile, true);
  await page.close();
}

/** The renderer's sampling CPU profiler on one page, from now until `stop`. */
async function startProfiler(context: BrowserContext, page: Page) {
  const cdp = await context.newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  await cdp.send('Profiler.start');
  return {
    stop: async () => ((await cdp.send('Profiler.stop')) as unknown as { profile: CpuProfile }).profile,
  };
}

/** The main thread's self time by function, and (with `byTime`) how busy it was in each 100 ms. */
function printProfile(profile: CpuProfile, byTime: boolean): void {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const keyOf = (id: number) => {
    const frame = byId.get(id)?.callFrame;
    return frame
      ? `${frame.functionName || '(anonymous)'} ${frame.url.split('/').pop() ?? ''}:${frame.lineNumber}`
      : '?';
  };
  const selfMs = new Map<string, number>();
  const buckets = new Map<number, Map<string, number>>();
  let at = 0;
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    at += ms;
    const key = keyOf(id);
    selfMs.set(key, (selfMs.get(key) ?? 0) + ms);
    const bucket = buckets.get(Math.floor(at / 100)) ?? new Map<string, number>();
    bucket.set(key, (bucket.get(key) ?? 0) + ms);
    buckets.set(Math.floor(at / 100), bucket);
  });
  const busy = (entries: [string, number][]) => entries.filter(([key]) => !key.startsWith('(idle)'));
  if (byTime) {
    // From the profiler's start, just before navigation.
    console.log('  main thread by 100 ms: busy ms, then the three largest self times');
    for (const [index, bucket] of [...buckets].sort((a, b) => a[0] - b[0])) {
      const entries = busy([...bucket]);
      const largest = entries
        .sort((a, b) => b[1] - a[1])
        .slice(0, 3)
        .map(([key, ms]) => `${key.trim()} ${ms.toFixed(0)}`)
        .join(', ');
      const total = entries.reduce((sum, [, ms]) => sum + ms, 0);
      console.log(`  ${String(index * 100).padStart(5)} ms  ${total.toFixed(0).padStart(3)}  ${largest}`);
    }
  }
  console.log('  main thread, self time:');
  for (const [key, ms] of busy([...selfMs])
    .sort((a, b) => b[1] - a[1])
    .slice(0, 25)) {
    console.log(`  ${ms.toFixed(1).padStart(8)} ms  ${key}`);
  }
}

/** Records each keystroke in the filter and each change of the table body, in page time. */
const FILTER_PROBE = `
  window.__inputs = [];
  window.__tableChanges = [];
  document.addEventListener('input', () => window.__inputs.push(performance.now()), true);
  new MutationObserver((mutations) => {
    if (mutations.some((m) => m.target instanceof Element && m.target.closest('tbody'))) {
      window.__tableChanges.push(performance.now());
    }
  }).observe(document, { subtree: true, childList: true, characterData: true });
`;

async function filterTimes(context: BrowserContext, query: string) {
  const page = await context.newPage();
  await page.addInitScript(FILTER_PROBE);
  await page.goto('/resources');
  const box = page.getByRole('searchbox', { name: 'Name or ARN contains' });
  await box.waitFor();
  await page.locator('table tbody tr').first().waitFor();
  const profiling = process.env.BENCH_UI_PROFILE ? await startProfiler(context, page) : undefined;
  const keystrokes: number[] = [];
  const floors: number[] = [];
  for (let i = 1; i <= query.length; i += 1) {
    const typed = query.slice(0, i);
    const answered = page.waitForResponse(
      (r) => r.url().includes('/api/v3/resources?') && new URL(r.url()).searchParams.get('query') === typed,
    );
    await box.press(query[i - 1] ?? '');
    await answered;
    await page.waitForTimeout(250);
    const { input, changed } = await page.evaluate(() => {
      const w = globalThis as unknown as { __inputs: number[]; __tableChanges: number[] };
      const at = w.__inputs[w.__inputs.length - 1] ?? 0;
      return { input: at, changed: w.__tableChanges.find((t) => t > at) };
    });
    if (changed !== undefined) keystrokes.push(changed - input);
    floors.push(
      await page.evaluate(async (q) => {
        const start = performance.now();
        await (
          await fetch(`/api/v3/resources?limit=50&query=${encodeURIComponent(q)}`, { cache: 'no-store' })
        ).json();
        return performance.now() - start;
      }, typed),
    );
  }
  if (profiling) {
    console.log('\nprofile of the filter keystrokes (each followed by 250 ms of waiting):');
    printProfile(await profiling.stop(), false);
  }
  await page.close();
  return { keystrokes, floors };
}

async function main(): Promise<void> {
  console.log(`load before setup: ${load()}`);
  console.log(`seeding ${ROLES_PER_ACCOUNT} roles in each of 5 accounts and crawling them…`);
  const ui = await startUiStack({
    seed: { rolesPerAccount: ROLES_PER_ACCOUNT, concurrency: 8 },
    crawlTimeoutMs: 30 * 60_000,
  });
  try {
    const status = (await (await ui.stack.api('/api/v3/cache/status')).json()) as {
      data: { itemCount: number }[];
    };
    const cached = status.data.reduce((sum, row) => sum + row.itemCount, 0);
    const request = await ui.stack.api('/api/v2/request', {
      method: 'POST',
      user: ALICE,
      groups: ['engineering', 'payments'],
      body: {
        justification: 'bench',
        changes: {
          changes: [
            {
              principal: {
                principal_type: 'AwsResource',
                principal_arn: `arn:aws:iam::${ui.org.accounts.find((a) => a.name === 'prod')?.id ?? ''}:role/support`,
              },
              change_type: 'inline_policy',
              action: 'attach',
              policy: {
                policy_document: {
                  Version: '2012-10-17',
                  Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
                },
              },
            },
          ],
        },
      },
    });
    const { request_id: requestId } = (await request.json()) as { request_id: string };
    console.log(`cache holds ${cached} items; load now: ${load()}\n`);

    const pages: [string, string, string, (page: Page) => Promise<void>][] = [
      [
        '/',
        '/',
        ALICE,
        (p) => p.locator('a[aria-label^="Open console as"]').first().waitFor({ timeout: 120_000 }),
      ],
      [
        '/resources',
        '/resources',
        ALICE,
        (p) => p.locator('table tbody tr').first().waitFor({ timeout: 120_000 }),
      ],
      [
        'request page',
        `/requests/${requestId}`,
        ADMIN,
        (p) => p.getByRole('heading', { level: 1 }).first().waitFor(),
      ],
    ];
    console.log('page           JS (br)    JS (gzip)  CSS (br)   CSS (gzip)');
    for (const [label, path, user, ready] of pages) {
      const t = await transferOf(ui, user, path, ready);
      console.log(
        `${label.padEnd(14)} ${kb(t.js).padEnd(10)} ${kb(t.jsGzip).padEnd(10)} ${kb(t.css).padEnd(10)} ${kb(t.cssGzip)}`,
      );
    }

    const cold: number[] = [];
    const warm: number[] = [];
    const floors: number[] = [];
    for (let run = 0; run < RUNS; run += 1) {
      const context = await newContext(ui.browser, ui.stack.gatewayUrl, { user: ALICE });
      const first = await roleListTimes(context);
      const second = await roleListTimes(context);
      cold.push(first.ms);
      warm.push(second.ms);
      floors.push(first.floorMs, second.floorMs);
      await context.close();
    }
    const floor = median(floors);
    console.log(
      `\nrole list drawn after navigation (median of ${RUNS}): cold cache ${median(cold).toFixed(0)} ms, ` +
        `warm ${median(warm).toFixed(0)} ms; floor (index.html + eligible roles) ${floor.toFixed(0)} ms; ` +
        `ratio cold ${(median(cold) / floor).toFixed(1)}×, warm ${(median(warm) / floor).toFixed(1)}×`,
    );

    if (process.env.BENCH_UI_PROFILE) {
      const profiled = await newContext(ui.browser, ui.stack.gatewayUrl, { user: ALICE });
      await profileRoleList(profiled);
      await profiled.close();
    }

    const context = await newContext(ui.browser, ui.stack.gatewayUrl, { user: ALICE });
    const { keystrokes, floors: apiFloors } = await filterTimes(context, 'bulk-role-01');
    await context.close();
    console.log(
      `filter keystroke to table updated over ${cached} items (median of ${keystrokes.length}): ` +
        `${median(keystrokes).toFixed(0)} ms (max ${Math.max(...keystrokes).toFixed(0)} ms); ` +
        `floor (the search API call alone) ${median(apiFloors).toFixed(0)} ms; ratio ${(median(keystrokes) / median(apiFloors)).toFixed(1)}×`,
    );
    console.log(`\nload after: ${load()}`);
  } finally {
    await ui.stop();
  }
}

await main();
