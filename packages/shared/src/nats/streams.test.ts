import { Writable } from 'node:stream';
import { JetStreamApiError, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';
import { describe, expect, it, vi } from 'vitest';
import { createLogger } from '../log/index.js';
import { createDurableConsumer } from './durable-consumer.js';
import { JetStreamErrorCodes, jetStreamErrorCode } from './jetstream-errors.js';
import { ensureAllStreams, ensureStreams, STREAMS, toStreamConfig, whenStreamExists } from './streams.js';

const DAY = 24 * 3600 * 1e9;

function apiError(errCode: number, description = 'x'): JetStreamApiError {
  return new JetStreamApiError({ code: 404, err_code: errCode, description });
}
const streamNotFound = () => apiError(JetStreamErrorCodes.streamNotFound, 'stream not found');

function recordingLog() {
  const lines: { level: number; msg: string; stream?: string }[] = [];
  const log = createLogger({
    service: 'test',
    level: 'debug',
    destination: new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as (typeof lines)[number]);
        done();
      },
    }),
  });
  return { log, lines };
}

/** A JetStream manager that knows only `existing` streams and records what is created. */
function fakeStreamManager(existing: string[] = []) {
  const added: Partial<StreamConfig>[] = [];
  const updated: string[] = [];
  const jsm = {
    streams: {
      info: (name: string) =>
        existing.includes(name) ? Promise.resolve({}) : Promise.reject(streamNotFound()),
      update: (name: string) => {
        updated.push(name);
        return Promise.resolve({});
      },
      add: (config: Partial<StreamConfig>) => {
        added.push(config);
        return Promise.resolve({});
      },
    },
  } as unknown as JetStreamManager;
  return { jsm, added, updated };
}

describe('stream definitions', () => {
  it('configure the server exactly as before they moved to their owners', () => {
    expect(toStreamConfig(STREAMS.crawlJobs, 3)).toEqual({
      name: 'CRAWL_JOBS',
      subjects: ['crawler.job.queued.>'],
      retention: 'workqueue',
      storage: 'file',
      num_replicas: 3,
      max_msgs_per_subject: 1,
      discard: 'new',
      discard_new_per_subject: true,
      duplicate_window: 120e9,
    });
    expect(toStreamConfig(STREAMS.crawlResults)).toMatchObject({
      subjects: ['crawler.result.>'],
      retention: 'limits',
      max_age: DAY,
      duplicate_window: 600e9,
      num_replicas: 1,
    });
    expect(toStreamConfig(STREAMS.resourceChanges)).toMatchObject({
      subjects: ['cache.resource.changed.>'],
      max_age: 7 * DAY,
      duplicate_window: 3600e9,
    });
    expect(toStreamConfig(STREAMS.audit)).toMatchObject({
      subjects: ['broker.audit.credentials.>'],
      max_age: 30 * DAY,
      duplicate_window: 3600e9,
    });
    expect(toStreamConfig(STREAMS.configChanges)).toMatchObject({
      subjects: ['config.dynamic.>'],
      max_age: 7 * DAY,
      duplicate_window: 600e9,
    });
    expect(toStreamConfig(STREAMS.deadLetters)).toMatchObject({
      name: 'DEAD_LETTERS',
      subjects: ['deadletter.>'],
      max_age: 30 * DAY,
      duplicate_window: 120e9,
    });
    for (const stream of [STREAMS.crawlResults, STREAMS.resourceChanges, STREAMS.deadLetters]) {
      expect(toStreamConfig(stream)).not.toHaveProperty('discard');
    }
  });

  it("are created only where asked, an owner's own, and brought up to date where they exist", async () => {
    const { jsm, added, updated } = fakeStreamManager(['DEAD_LETTERS']);
    await ensureStreams(jsm, [STREAMS.resourceChanges, STREAMS.deadLetters], { replicas: 2 });
    expect(added.map((c) => [c.name, c.num_replicas])).toEqual([['RESOURCE_CHANGES', 2]]);
    expect(updated).toEqual(['DEAD_LETTERS']);
  });

  it('are all created at once for tests and tools', async () => {
    const { jsm, added } = fakeStreamManager();
    await ensureAllStreams(jsm);
    expect(added.map((c) => c.name).sort()).toEqual(
      Object.values(STREAMS)
        .map((s) => s.name)
        .sort(),
    );
  });
});

describe('waiting for another owner’s stream', () => {
  it('retries while the stream does not exist, says once whose it is, then goes on', async () => {
    const { log, lines } = recordingLog();
    const attempt = vi
      .fn<() => Promise<string>>()
      .mockRejectedValueOnce(streamNotFound())
      .mockRejectedValueOnce(streamNotFound())
      .mockResolvedValue('created');
    await expect(whenStreamExists('CRAWL_RESULTS', attempt, { log, retryMs: 5 })).resolves.toBe('created');
    expect(attempt).toHaveBeenCalledTimes(3);
    const waiting = lines.filter((l) => l.msg.includes('does not exist yet'));
    expect(waiting).toHaveLength(1);
    expect(waiting[0]!.msg).toContain('waiting for crawler to create it');
    expect(lines.some((l) => l.msg === 'stream CRAWL_RESULTS exists now; going on')).toBe(true);
  });

  it('fails at once on anything else', async () => {
    const { log } = recordingLog();
    const attempt = vi.fn(() => Promise.reject(apiError(10003, 'bad request')));
    const failure: unknown = await whenStreamExists('AUDIT', attempt, { log, retryMs: 5 }).catch(
      (error: unknown) => error,
    );
    expect(jetStreamErrorCode(failure)).toBe(10003);
    expect(attempt).toHaveBeenCalledTimes(1);
  });

  it('stops when the connection is gone', async () => {
    const { log } = recordingLog();
    await expect(
      whenStreamExists('AUDIT', () => Promise.reject(streamNotFound()), {
        log,
        retryMs: 5,
        isClosed: () => true,
      }),
    ).rejects.toMatchObject({ code: 'NATS_UNAVAILABLE' });
  });

  it("lets a durable consumer start before the stream's owner, and stop while it waits", async () => {
    const { log, lines } = recordingLog();
    let streamExists = false;
    const added: string[] = [];
    const jsm = {
      consumers: {
        info: () => Promise.reject(streamExists ? apiError(10014) : streamNotFound()),
        add: (stream: string) => {
          if (!streamExists) return Promise.reject(streamNotFound());
          added.push(stream);
          return Promise.resolve({});
        },
        update: () => Promise.resolve({}),
      },
    } as unknown as JetStreamManager;
    const consumer = () =>
      createDurableConsumer({
        js: {} as never,
        jsm,
        stream: 'CRAWL_RESULTS',
        durable: 'cache',
        deliver: 'all',
        concurrency: 1,
        log,
        handle: () => Promise.resolve(),
      });

    const waiting = consumer();
    const ensured = waiting.ensure();
    setTimeout(() => {
      streamExists = true;
    }, 50);
    await ensured;
    expect(added).toEqual(['CRAWL_RESULTS']);
    expect(lines.some((l) => l.msg.includes('stream CRAWL_RESULTS does not exist yet'))).toBe(true);

    streamExists = false;
    const stopped = consumer();
    const stillWaiting = stopped.ensure();
    await stopped.stop();
    await expect(stillWaiting).resolves.toBeUndefined();
    await expect(stopped.start()).resolves.toBeUndefined();
  });
});
