import { connect, headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamManager, type StoredMsg } from '@nats-io/jetstream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '@rolecall/shared/errors';
import { capturedLogger } from '@rolecall/shared/log';
import {
  createDurableConsumer,
  DEAD_LETTER_HEADERS,
  DEAD_LETTER_STREAM,
  deadLetterStream,
  deadLetterSubjects,
  ensureStreams,
  isStreamNotFound,
  STREAMS,
  type DurableConsumer,
  type DurableConsumerOptions,
} from '@rolecall/shared/nats';
import { eventually, startNats, type RunningServer } from '@rolecall/testing';

/** Text that stands for a secret in a payload: it must reach the dead-letter stream, never a log line. */
const SECRET = 'wJalrXUtnFEMI-not-for-logs';
const ACK_WAIT_MS = 1000;

const logLines = () => capturedLogger({ service: 'dead-letter-test', level: 'debug' });

describe('durable consumer: bounded attempts and the dead-letter stream', () => {
  let nats: RunningServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let consumer: DurableConsumer | undefined;
  let n = 0;

  beforeAll(async () => {
    nats = await startNats();
    nc = await connect({ servers: nats.url });
    jsm = await jetstreamManager(nc);
    await ensureStreams(jsm, [deadLetterStream]);
  });
  afterEach(async () => {
    await consumer?.stop();
    consumer = undefined;
  });
  afterAll(async () => {
    await nc?.close();
    await nats?.stop();
  });

  /** A stream of its own per test, and a consumer on it whose handler the test writes. */
  async function setUp(overrides: Partial<DurableConsumerOptions> & Pick<DurableConsumerOptions, 'handle'>) {
    n += 1;
    const stream = `DL_TEST_${n}`;
    const subject = `dltest.${n}.event`;
    await jsm.streams.add({ name: stream, subjects: [`dltest.${n}.>`] });
    const { lines, log } = logLines();
    consumer = createDurableConsumer({
      js: jetstream(nc),
      jsm,
      stream,
      durable: 'worker',
      deliver: 'all',
      concurrency: 2,
      ackWaitMs: ACK_WAIT_MS,
      log,
      ...overrides,
    });
    await consumer.ensure();
    await consumer.start();
    const publish = async (msgId: string, extra: Record<string, string> = {}) => {
      const h = natsHeaders();
      for (const [k, v] of Object.entries(extra)) h.set(k, v);
      return jetstream(nc).publish(subject, JSON.stringify({ id: msgId, token: SECRET }), {
        msgID: msgId,
        headers: h,
      });
    };
    const deadLetter = async (): Promise<StoredMsg | undefined> => {
      try {
        return (
          (await jsm.streams.getMessage(DEAD_LETTER_STREAM, {
            last_by_subj: deadLetterSubjects.of(stream, 'worker'),
          })) ?? undefined
        );
      } catch {
        return undefined;
      }
    };
    const idle = async () => {
      const info = await jsm.consumers.info(stream, 'worker');
      return info.num_pending === 0 && info.num_ack_pending === 0 && info.num_redelivered === 0
        ? info
        : undefined;
    };
    return { stream, subject, lines, publish, deadLetter, idle, consumer };
  }

  it('dead-letters a message that keeps failing with a plain error after the bound, and delivers it no more', async () => {
    let attempts = 0;
    const t = await setUp({
      maxDeliveries: 3,
      handle: () => {
        attempts += 1;
        return Promise.reject(new Error('One or more parameter values were invalid: lone surrogate'));
      },
    });
    const ack = await t.publish('poison-1', { 'X-Trace': 'trace-7' });

    const stored = await eventually(t.deadLetter, 'the dead letter');
    expect(new TextDecoder().decode(stored.data)).toBe(JSON.stringify({ id: 'poison-1', token: SECRET }));
    const h = stored.header;
    expect({
      stream: h.get(DEAD_LETTER_HEADERS.stream),
      consumer: h.get(DEAD_LETTER_HEADERS.consumer),
      subject: h.get(DEAD_LETTER_HEADERS.subject),
      sequence: h.get(DEAD_LETTER_HEADERS.sequence),
      msgId: h.get(DEAD_LETTER_HEADERS.msgId),
      deliveries: h.get(DEAD_LETTER_HEADERS.deliveries),
      reason: h.get(DEAD_LETTER_HEADERS.reason),
      error: h.get(DEAD_LETTER_HEADERS.error),
      trace: h.get('X-Trace'),
    }).toEqual({
      stream: t.stream,
      consumer: 'worker',
      subject: t.subject,
      sequence: String(ack.seq),
      msgId: 'poison-1',
      deliveries: '3',
      reason: 'exhausted',
      error: 'Error: One or more parameter values were invalid: lone surrogate',
      trace: 'trace-7',
    });
    await eventually(t.idle, 'the consumer to be idle');
    expect(t.consumer.deadLettered()).toBe(1);

    // Longer than an ack wait and the next retry delay: a message still held would have come back.
    await sleep(ACK_WAIT_MS + 2500);
    expect(attempts).toBe(3);
    expect(await t.idle()).toBeDefined();

    const line = t.lines.find((l) => l.msg === 'message dead-lettered');
    expect(line).toMatchObject({
      stream: t.stream,
      consumer: 'worker',
      subject: t.subject,
      seq: ack.seq,
      msgId: 'poison-1',
      deliveries: 3,
      reason: 'exhausted',
      error: 'Error: One or more parameter values were invalid: lone surrogate',
    });
    expect(JSON.stringify(t.lines)).not.toContain(SECRET);
  });

  it('dead-letters a message rejected with a non-retryable AppError at its first delivery', async () => {
    let attempts = 0;
    const t = await setUp({
      handle: () => {
        attempts += 1;
        return Promise.reject(new AppError('INVALID_MESSAGE', 'invalid CredentialsAudited: /data/user: bad'));
      },
    });
    await t.publish('rejected-1');
    const stored = await eventually(t.deadLetter, 'the dead letter');
    expect(stored.header.get(DEAD_LETTER_HEADERS.reason)).toBe('rejected');
    expect(stored.header.get(DEAD_LETTER_HEADERS.deliveries)).toBe('1');
    expect(stored.header.get(DEAD_LETTER_HEADERS.error)).toBe(
      'INVALID_MESSAGE: invalid CredentialsAudited: /data/user: bad',
    );
    await eventually(t.idle, 'the consumer to be idle');
    expect(attempts).toBe(1);
    expect(t.consumer.deadLettered()).toBe(1);
  });

  it('acks a message that succeeds on its third try and dead-letters nothing', async () => {
    let attempts = 0;
    const t = await setUp({
      handle: () => {
        attempts += 1;
        return attempts < 3 ? Promise.reject(new Error('dependency hiccup')) : Promise.resolve();
      },
    });
    await t.publish('flaky-1');
    await eventually(() => (attempts >= 3 ? true : undefined), 'the third attempt');
    await eventually(t.idle, 'the consumer to be idle');
    expect(attempts).toBe(3);
    expect(t.consumer.deadLettered()).toBe(0);
    expect(await t.deadLetter()).toBeUndefined();
  });

  it('does not count waiting for other messages as failed deliveries', async () => {
    let calls = 0;
    const deliveries: number[] = [];
    const t = await setUp({
      maxDeliveries: 2,
      handle: (msg) => {
        calls += 1;
        deliveries.push(msg.info.deliveryCount);
        return Promise.resolve(
          calls < 6 ? { kind: 'retry' as const, delayMs: 200, reason: 'waiting for batches' } : undefined,
        );
      },
    });
    await t.publish('waiting-1');
    await eventually(() => (calls >= 6 ? true : undefined), 'the sixth call');
    await eventually(t.idle, 'the consumer to be idle');
    expect(deliveries).toEqual([1, 1, 1, 1, 1, 1]);
    expect(t.consumer.deadLettered()).toBe(0);
  });

  it('keeps a message that takes several ack waits to handle from being redelivered while it is handled', async () => {
    const deliveries: number[] = [];
    const t = await setUp({
      handle: async (msg) => {
        deliveries.push(msg.info.deliveryCount);
        await sleep(ACK_WAIT_MS * 3.5);
      },
    });
    await t.publish('slow-1');
    await eventually(() => (deliveries.length > 0 ? true : undefined), 'the delivery');
    await eventually(t.idle, 'the consumer to be idle');
    expect(deliveries).toEqual([1]);
  });

  it('keeps a message it cannot dead-letter, and dead-letters it once the stream can take it', async () => {
    let attempts = 0;
    await jsm.streams.delete(DEAD_LETTER_STREAM);
    try {
      const t = await setUp({
        maxDeliveries: 2,
        handle: () => {
          attempts += 1;
          return Promise.reject(new Error('always fails'));
        },
      });
      await t.publish('kept-1');
      await eventually(
        () =>
          t.lines.some((l) => l.msg === 'message could not be dead-lettered; it is kept and retried later')
            ? true
            : undefined,
        'the failed dead-lettering',
      );
      const info = await jsm.consumers.info(t.stream, 'worker');
      expect(info.num_ack_pending + info.num_pending).toBe(1);
      expect(attempts).toBe(2);

      await ensureStreams(jsm, [deadLetterStream]);
      const stored = await eventually(t.deadLetter, 'the dead letter', 60_000);
      expect(stored.header.get(DEAD_LETTER_HEADERS.msgId)).toBe('kept-1');
      expect(stored.header.get(DEAD_LETTER_HEADERS.reason)).toBe('abandoned');
      await eventually(t.idle, 'the consumer to be idle');
      expect(attempts).toBe(2);
      expect(t.consumer.deadLettered()).toBe(1);
    } finally {
      await ensureStreams(jsm, [deadLetterStream]);
    }
  });

  it('defines the dead-letter stream with every other stream', async () => {
    const info = await jsm.streams.info(DEAD_LETTER_STREAM);
    expect(info.config.subjects).toEqual([deadLetterSubjects.all]);
    expect(info.config.max_age).toBe(30 * 24 * 3600 * 1e9);
    expect(STREAMS.deadLetters.name).toBe(DEAD_LETTER_STREAM);
    await expect(jsm.streams.info('NO_SUCH_STREAM')).rejects.toSatisfy(isStreamNotFound);
  });
});
