import type { JetStreamClient, JetStreamPublishOptions } from '@nats-io/jetstream';
import type { Msg } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { cacheEvents, type ResourceChange } from '../contracts/cache.js';
import { crawlerEvents, type CrawlStart } from '../contracts/crawler.js';
import { decode, encode, publishEvent, readEvent, readMessage } from './messaging.js';

const ACCOUNT = '111122223333';
const change: ResourceChange = {
  change: 'deleted',
  arn: `arn:aws:iam::${ACCOUNT}:role/old`,
  itemType: 'iam_role',
  accountId: ACCOUNT,
  crawlId: 'crawl-1',
  jobId: 'job-1',
};
const start: CrawlStart = {
  jobId: 'job-1',
  crawlId: 'crawl-1',
  accountId: ACCOUNT,
  crawlType: 'iam',
  startedAt: '2026-01-01T00:00:00.000Z',
};

/** A JetStream client that only records what it was asked to publish. */
function recordingJetStream() {
  const published: { subject: string; payload: unknown; options: Partial<JetStreamPublishOptions> }[] = [];
  const js = {
    publish: (subject: string, data: Uint8Array, options: Partial<JetStreamPublishOptions>) => {
      published.push({ subject, payload: decode(data), options });
      return Promise.resolve({ stream: 'X', seq: 1, duplicate: false, domain: '' });
    },
  } as unknown as JetStreamClient;
  return { js, published };
}

const delivered = (subject: string, payload: unknown) => ({ subject, data: encode(payload) }) as Msg;

describe('publishing an event declaration', () => {
  it('derives the subject, the Nats-Msg-Id (also the envelope id) and the stream from the data', async () => {
    const { js, published } = recordingJetStream();
    await publishEvent(js, cacheEvents.resourceChanged, change, { source: 'cache', timeoutMs: 2_000 });
    expect(published).toHaveLength(1);
    const [sent] = published;
    const msgId = `job-1:${change.arn}:deleted`;
    expect(sent!.subject).toBe(`cache.resource.changed.iam_role.${ACCOUNT}`);
    expect(sent!.options).toEqual({
      msgID: msgId,
      expect: { streamName: 'RESOURCE_CHANGES' },
      timeout: 2_000,
    });
    expect(sent!.payload).toMatchObject({ id: msgId, type: 'cache.resource.changed', source: 'cache' });
    expect(readMessage(cacheEvents.resourceChanged, delivered(sent!.subject, sent!.payload)).data).toEqual(
      change,
    );
  });

  it('refuses data outside the schema, naming the field, and publishes nothing', async () => {
    const { js, published } = recordingJetStream();
    const invalid = { ...change, accountId: 'not-an-account' };
    await expect(
      publishEvent(js, cacheEvents.resourceChanged, invalid, { source: 'cache' }),
    ).rejects.toMatchObject({ code: 'INTERNAL', message: expect.stringMatching(/accountId/) as string });
    expect(published).toHaveLength(0);
  });
});

describe('reading events', () => {
  const results = {
    started: crawlerEvents.started,
    completed: crawlerEvents.completed,
  } as const;

  it('picks the declaration of a mixed stream by the envelope type', () => {
    const msg = delivered(
      'crawler.result.started.iam.x',
      crawlerEvents.started.message.wrap(start, 'crawler'),
    );
    const read = readEvent(results, msg);
    expect(read.name).toBe('started');
    if (read.name === 'started') expect(read.envelope.data.startedAt).toBe(start.startedAt);
  });

  it('refuses a type none of them has, and what is not JSON', () => {
    const batch = crawlerEvents.batch.message.wrap({ ...start, seq: 0, items: [] }, 'crawler');
    expect(() => readEvent(results, delivered('crawler.result.batch.iam.x', batch))).toThrow(
      expect.objectContaining({ code: 'INVALID_MESSAGE' }),
    );
    expect(() =>
      readMessage(crawlerEvents.started, { subject: 's', data: new TextEncoder().encode('{') }),
    ).toThrow(/not JSON/);
  });
});
