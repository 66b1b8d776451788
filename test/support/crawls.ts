import { seedDemoOrganization, type DemoOrganization } from '@rolecall/testing';
import type { Stack } from './stack.js';
import { eventually } from './stack.js';

export interface StatusRow {
  accountId: string;
  accountName: string;
  crawlType: string;
  running: boolean;
  itemCount: number;
  lastSuccessAt?: string;
  lastSuccessCrawlId?: string;
  lastError?: { code: string; message: string; at: string };
}

export async function cacheStatus(stack: Stack): Promise<StatusRow[]> {
  const response = await stack.api('/api/v3/cache/status');
  if (response.status !== 200) throw new Error(`status ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { data: StatusRow[] }).data;
}

/** Starts a crawl through the API as an admin and returns its id. */
export async function refresh(stack: Stack, body: { accountIds?: string[]; resourceTypes?: string[] } = {}) {
  const response = await stack.api('/api/v3/cache/refresh', { method: 'POST', body });
  if (response.status !== 202)
    throw new Error(`refresh answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as {
    crawlId: string;
    jobs: { jobId: string; accountId: string; crawlType: string }[];
  };
}

/**
 * Waits until every (account, type) of the crawl has finished: succeeded with this crawl id or with any
 * crawl since (a request made while a job waits is covered by it), or failed after the crawl was
 * requested. Returns the status rows of those jobs.
 */
export async function waitForCrawl(
  stack: Stack,
  crawl: { crawlId: string; jobs: { accountId: string; crawlType: string }[] },
  requestedAt: string,
  timeoutMs = 90_000,
): Promise<StatusRow[]> {
  const wanted = new Set(crawl.jobs.map((j) => `${j.accountId}:${j.crawlType}`));
  return eventually(
    async () => {
      const rows = (await cacheStatus(stack)).filter((r) => wanted.has(`${r.accountId}:${r.crawlType}`));
      const finished = rows.filter(
        (r) =>
          !r.running &&
          (r.lastSuccessCrawlId === crawl.crawlId ||
            (r.lastSuccessAt !== undefined && r.lastSuccessAt >= requestedAt) ||
            (r.lastError !== undefined && r.lastError.at >= requestedAt)),
      );
      return finished.length === wanted.size ? rows : undefined;
    },
    async () =>
      `crawl ${crawl.crawlId} unfinished: ${JSON.stringify(await cacheStatus(stack).catch(String))}`,
    timeoutMs,
  );
}

/**
 * The demo organization, roles only, seeded into the stack's moto and crawled once (IAM): what the credential
 * bench and tests issue against.
 */
export async function seedAndCrawlRoles(stack: Stack): Promise<DemoOrganization> {
  const org = await seedDemoOrganization({
    endpointUrl: stack.env.moto.url,
    region: 'us-east-1',
    withResources: false,
  });
  const requestedAt = new Date().toISOString();
  await waitForCrawl(stack, await refresh(stack, { resourceTypes: ['iam'] }), requestedAt);
  return org;
}

/** The demo organization with its one member account `prod`, roles only, seeded into the stack's moto. */
export async function seedProdAccount(stack: Stack): Promise<DemoOrganization['accounts'][number]> {
  const org = await seedDemoOrganization({
    endpointUrl: stack.env.moto.url,
    region: 'us-east-1',
    memberAccountNames: ['prod'],
    withResources: false,
  });
  return org.accounts.find((a) => a.name === 'prod')!;
}

/** Asks for a crawl of the accounts' IAM and waits until the cache shows it done. */
export async function crawlIam(stack: Stack, accountIds?: string[]): Promise<void> {
  const requestedAt = new Date().toISOString();
  await waitForCrawl(stack, await refresh(stack, { accountIds, resourceTypes: ['iam'] }), requestedAt);
}
