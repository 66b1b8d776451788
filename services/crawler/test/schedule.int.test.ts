import type { NatsConnection } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { parseConfig } from '@rolecall/shared/config';
import { crawlerStreams, type CrawlCompletion } from '@rolecall/shared/contracts';
import { createLogger } from '@rolecall/shared/log';
import { connectNats, deadLetterStream, ensureStreams, KV_BUCKETS } from '@rolecall/shared/nats';
import { MOTO_DEFAULT_ACCOUNT, startTestEnvironment, type TestEnvironment } from '@rolecall/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { CrawlerService } from '../src/service.js';
import { buildTestCrawler } from './crawler-under-test.js';
import { collectResults, logLines } from './results.js';
import { createSpokeRole, inAccount } from './seed.js';

const OTHER_ACCOUNT = '111111111111';
let env: TestEnvironment;
let nc: NatsConnection;
const services: CrawlerService[] = [];

beforeAll(async () => {
  env = await startTestEnvironment();
  nc = await connectNats({
    url: env.nats.url,
    name: 'schedule-test',
    log: createLogger({ service: 't', level: 'silent' }),
  });
  await ensureStreams(await jetstreamManager(nc), [...Object.values(crawlerStreams), deadLetterStream]);
  for (const id of [MOTO_DEFAULT_ACCOUNT, OTHER_ACCOUNT])
    await createSpokeRole(await inAccount(env.moto.url, id));
});

afterAll(async () => {
  for (const service of services) await service.stop();
  await nc?.drain();
  await env?.stop();
});

it('lets exactly one of two crawlers claim each schedule slot, and crawls every account once per slot', async () => {
  const config = parseConfig({
    environment: 'test',
    aws: { endpointUrl: env.moto.url },
    accounts: {
      source: 'static',
      static: [
        { id: MOTO_DEFAULT_ACCOUNT, name: 'main' },
        { id: OTHER_ACCOUNT, name: 'other' },
        { id: '222222222222', name: 'suspended', status: 'SUSPENDED' },
      ],
    },
    crawl: { scheduleEnabled: true, concurrency: 2, awsConfig: { enabled: false } },
  });
  const results = await collectResults(jetstream(nc));
  const logsByInstance = new Map<string, ReturnType<typeof logLines>>();
  const build = (instance: string) => {
    const logs = logLines();
    logsByInstance.set(instance, logs);
    const service = buildTestCrawler(
      config,
      nc,
      { instance, motoUrl: env.moto.url, logs },
      { scheduleTickMs: 50 },
    );
    services.push(service);
    return service;
  };
  // Started together, both see every slot due at once: a fresh install crawls immediately.
  await Promise.all([build('crawler-a').start(), build('crawler-b').start()]);

  const completions = () =>
    results.byType('crawler.result.completed').map((m) => m.envelope.data as unknown as CrawlCompletion);
  await results.waitFor(() => completions().length >= 2 * 4, 'the scheduled crawls of both accounts');
  // Both keep ticking (every 50 ms) meanwhile: nothing else may be claimed or enqueued in this slot.
  await new Promise((r) => setTimeout(r, 500));

  const claimed = (instance: string) =>
    logsByInstance
      .get(instance)!
      .lines.filter((l) => l.msg === 'claimed schedule slots')
      .flatMap((l) => l.slots as string[]);
  const a = claimed('crawler-a');
  const b = claimed('crawler-b');
  expect(a.filter((key) => b.includes(key))).toEqual([]);
  expect([...a, ...b].map((key) => key.split('.')[0]).sort()).toEqual([
    'discovery',
    'iam',
    's3',
    'sns',
    'sqs',
  ]);

  const kv = await new Kvm(nc).open(KV_BUCKETS.crawlSchedule);
  const keys: string[] = [];
  for await (const key of await kv.keys()) keys.push(key);
  expect(keys.sort()).toEqual([...a, ...b].sort());

  // Each active account crawled once per type; the suspended one and the disabled config type never.
  const pairs = completions()
    .map((c) => `${c.crawlType}.${c.accountId}`)
    .sort();
  expect(pairs).toEqual(
    ['iam', 's3', 'sns', 'sqs']
      .flatMap((t) => [`${t}.${MOTO_DEFAULT_ACCOUNT}`, `${t}.${OTHER_ACCOUNT}`])
      .sort(),
  );
  expect(completions().every((c) => c.status === 'succeeded')).toBe(true);
  await results.stop();
});
