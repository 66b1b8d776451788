import { describe, expect, it } from 'vitest';
import { brokerEvents, brokerStreams, type CredentialAuditEvent } from './broker.js';
import { cacheEvents, cacheStreams, cacheSubjects, type ResourceChange } from './cache.js';
import { configEvents, configStreams } from './config.js';
import { crawlerEvents, crawlerStreams, type CrawlJob, type CrawlStart } from './crawler.js';
import type { EventDefinition } from './event.js';

const ACCOUNT = '111122223333';
const job: CrawlJob = {
  jobId: 'job-1',
  crawlId: 'crawl-1',
  accountId: ACCOUNT,
  accountName: 'prod',
  crawlType: 'iam',
  trigger: 'demand',
  requestedBy: 'admin@example.com',
  queuedAt: '2026-01-01T00:00:00.000Z',
};
const start: CrawlStart = {
  jobId: 'job-1',
  crawlId: 'crawl-1',
  accountId: ACCOUNT,
  crawlType: 's3',
  startedAt: '2026-01-01T00:00:00.000Z',
};
const change: ResourceChange = {
  change: 'updated',
  arn: `arn:aws:iam::${ACCOUNT}:role/deploy`,
  itemType: 'iam_role',
  accountId: ACCOUNT,
  crawlId: 'crawl-1',
  jobId: 'job-1',
};
const audit: CredentialAuditEvent = {
  id: 'audit-1',
  at: '2026-01-01T00:00:00.000Z',
  user: 'alice@example.com',
  groups: [],
  channel: 'cli',
  requestedRole: 'deploy',
  outcome: 'pending',
  sourceIp: '127.0.0.1',
  userAgent: 'weep',
  requestId: 'req-1',
};

/**
 * Subjects and message ids as they were before the declarations (outside subscribers, the README and
 * JetStream's dedupe rely on them): each row is one event, its data, and the exact strings.
 */
const cases: [string, EventDefinition, unknown, string, string][] = [
  ['a queued job', crawlerEvents.jobQueued, job, `crawler.job.queued.iam.${ACCOUNT}`, 'job-1'],
  ['a started crawl', crawlerEvents.started, start, `crawler.result.started.s3.${ACCOUNT}`, 'job-1:started'],
  [
    'a batch',
    crawlerEvents.batch,
    { ...start, seq: 3, items: [] },
    `crawler.result.batch.s3.${ACCOUNT}`,
    'job-1:batch:3',
  ],
  [
    'a completion',
    crawlerEvents.completed,
    { ...start, finishedAt: start.startedAt, status: 'succeeded', batchCount: 0, itemCount: 0 },
    `crawler.result.completed.s3.${ACCOUNT}`,
    'job-1:completed',
  ],
  [
    'discovered accounts',
    crawlerEvents.accountsDiscovered,
    { discoveryId: 'disc-1', source: 'static', discoveredAt: start.startedAt, accounts: [] },
    'crawler.result.accounts.discovered',
    'disc-1',
  ],
  [
    'a resource change',
    cacheEvents.resourceChanged,
    change,
    `cache.resource.changed.iam_role.${ACCOUNT}`,
    `job-1:arn:aws:iam::${ACCOUNT}:role/deploy:updated`,
  ],
  [
    'a credential audit record',
    brokerEvents.credentialsAudited,
    audit,
    'broker.audit.credentials.pending',
    'audit-1:pending',
  ],
  [
    'a dynamic config save',
    configEvents.dynamicConfigChanged,
    { sha256: 'a'.repeat(64), updatedBy: 'admin@example.com', updatedAt: start.startedAt },
    'config.dynamic.changed',
    `dynamic-config-${'a'.repeat(64)}-${start.startedAt}`,
  ],
];

/** NATS subject matching: `*` one token, a final `>` one or more. */
function matches(filter: string, subject: string): boolean {
  const f = filter.split('.');
  const s = subject.split('.');
  for (let i = 0; i < f.length; i += 1) {
    if (f[i] === '>') return s.length > i;
    if (i >= s.length || (f[i] !== '*' && f[i] !== s[i])) return false;
  }
  return f.length === s.length;
}

describe('event declarations', () => {
  it.each(cases)('give %s the subject and message id it always had', (_, event, data, subject, msgId) => {
    expect(event.message.check(data)).toBe(true);
    expect(event.subject(data)).toBe(subject);
    expect(event.msgId(data)).toBe(msgId);
  });

  it.each(cases)('store %s in a stream of its own owner that takes its subject', (_, event, data) => {
    expect(event.stream.owner).toBe(event.owner);
    expect(event.stream.subjects.some((filter) => matches(filter, event.subject(data)))).toBe(true);
  });

  it('give the audit record of each outcome its own subject and id, so an intent and its completion are two', () => {
    const issued = { ...audit, outcome: 'issued' as const };
    expect(brokerEvents.credentialsAudited.subject(issued)).toBe('broker.audit.credentials.issued');
    expect(brokerEvents.credentialsAudited.msgId(issued)).not.toBe(
      brokerEvents.credentialsAudited.msgId(audit),
    );
  });

  it('keep the audit stream off the audit query requests', () => {
    expect(brokerStreams.audit.subjects.some((f) => matches(f, 'broker.audit.query'))).toBe(false);
  });

  it('build the filter of one item type that the broker consumes', () => {
    const filter = cacheSubjects.resourceChangedOfType('iam_role');
    expect(filter).toBe('cache.resource.changed.iam_role.>');
    expect(matches(filter, cacheEvents.resourceChanged.subject(change))).toBe(true);
    expect(
      matches(filter, cacheEvents.resourceChanged.subject({ ...change, itemType: 'managed_policy' })),
    ).toBe(false);
  });

  it('name each stream once, with its owner', () => {
    const streams = [
      ...Object.values(crawlerStreams),
      ...Object.values(cacheStreams),
      ...Object.values(brokerStreams),
      ...Object.values(configStreams),
    ];
    expect(streams.map((s) => [s.name, s.owner])).toEqual([
      ['CRAWL_JOBS', 'crawler'],
      ['CRAWL_RESULTS', 'crawler'],
      ['RESOURCE_CHANGES', 'cache'],
      ['AUDIT', 'broker'],
      ['CONFIG_CHANGES', 'gateway'],
    ]);
  });
});
