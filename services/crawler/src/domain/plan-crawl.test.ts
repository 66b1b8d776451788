/* eslint-disable @typescript-eslint/require-await -- in-memory fakes implement async ports without awaiting */
import type { AccountsDiscovery, AwsAccount, CrawlJob } from '@rolecall/shared/contracts';
import { describe, expect, it } from 'vitest';
import { createAccountDiscovery, normalizeAccounts } from './accounts.js';
import { createCrawlPlanner, selectCrawlTargets } from './plan-crawl.js';
import type { JobQueue } from './ports.js';

const accounts: AwsAccount[] = [
  { id: '222222222222', name: 'two', status: 'ACTIVE' },
  { id: '111111111111', name: 'one', status: 'ACTIVE' },
  { id: '333333333333', name: 'gone', status: 'SUSPENDED' },
];

describe('selectCrawlTargets', () => {
  it('crawls every active account for every enabled type by default', () => {
    const targets = selectCrawlTargets({ accounts, enabledTypes: ['iam', 's3'] });
    expect(targets.map((t) => `${t.accountId}:${t.crawlType}`)).toEqual([
      '222222222222:iam',
      '222222222222:s3',
      '111111111111:iam',
      '111111111111:s3',
    ]);
  });

  it('refuses an unknown or suspended account, naming each', () => {
    const attempt = () =>
      selectCrawlTargets({
        accounts,
        enabledTypes: ['iam'],
        accountIds: ['111111111111', '999999999999', '333333333333'],
      });
    expect(attempt).toThrow(expect.objectContaining({ code: 'UNKNOWN_ACCOUNT' }));
    expect(attempt).toThrow(/999999999999, 333333333333/);
  });

  it('refuses a crawl type the configuration turned off', () => {
    expect(() => selectCrawlTargets({ accounts, enabledTypes: ['iam'], crawlTypes: ['config'] })).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED' }),
    );
  });
});

describe('createCrawlPlanner', () => {
  const setup = (waiting: Record<string, string> = {}) => {
    const published: AccountsDiscovery[] = [];
    const enqueued: CrawlJob[] = [];
    const queue: JobQueue = {
      enqueue: async (job) => {
        const key = `${job.crawlType}.${job.accountId}`;
        if (waiting[key]) return { state: 'already_queued', jobId: waiting[key] };
        enqueued.push(job);
        return { state: 'queued', jobId: job.jobId };
      },
    };
    let listed = accounts;
    const discovery = createAccountDiscovery({
      source: { kind: 'static', listAccounts: async () => listed },
      publisher: { publish: async (d) => void published.push(d) },
    });
    const planner = createCrawlPlanner({ discovery, queue, enabledTypes: ['iam', 'sqs'] });
    return { planner, published, enqueued, setAccounts: (a: AwsAccount[]) => (listed = a) };
  };

  it('discovers on every request, so an account added since is crawled without a restart', async () => {
    const { planner, published, enqueued, setAccounts } = setup();
    await planner.planCrawl({ trigger: 'demand', requestedBy: 'a', crawlTypes: ['iam'] });
    setAccounts([...accounts, { id: '444444444444', name: 'new', status: 'ACTIVE' }]);
    const reply = await planner.planCrawl({ trigger: 'demand', requestedBy: 'a', crawlTypes: ['iam'] });
    expect(published).toHaveLength(2);
    expect(published[1]!.accounts.map((a) => a.id)).toContain('444444444444');
    expect(reply.jobs.map((j) => j.accountId)).toEqual(['111111111111', '222222222222', '444444444444']);
    expect(enqueued).toHaveLength(5);
    expect(new Set(enqueued.slice(2).map((j) => j.crawlId))).toEqual(new Set([reply.crawlId]));
  });

  it('reports the waiting job for an (account, type) that is already queued', async () => {
    const { planner } = setup({ 'iam.111111111111': 'earlier-job' });
    const reply = await planner.planCrawl({
      trigger: 'schedule',
      requestedBy: 'schedule',
      accountIds: ['111111111111'],
    });
    expect(reply.jobs.map((j) => [j.jobId === 'earlier-job', j.accountId, j.crawlType, j.state])).toEqual([
      [true, '111111111111', 'iam', 'already_queued'],
      [false, '111111111111', 'sqs', 'queued'],
    ]);
  });

  it('enqueues nothing when one requested account is unknown', async () => {
    const { planner, enqueued } = setup();
    await expect(
      planner.planCrawl({
        trigger: 'demand',
        requestedBy: 'a',
        accountIds: ['111111111111', '999999999999'],
      }),
    ).rejects.toMatchObject({ code: 'UNKNOWN_ACCOUNT' });
    expect(enqueued).toEqual([]);
  });
});

describe('normalizeAccounts', () => {
  it('sorts by id and keeps the first entry of a duplicated id', () => {
    expect(
      normalizeAccounts([...accounts, { id: '111111111111', name: 'dup', status: 'ACTIVE' }]).map(
        (a) => a.name,
      ),
    ).toEqual(['one', 'two', 'gone']);
  });
});
