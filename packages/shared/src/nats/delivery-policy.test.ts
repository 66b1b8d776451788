import { describe, expect, it } from 'vitest';
import { AppError } from '../errors/index.js';
import {
  decideAfterFailure,
  describeError,
  heartbeatIntervalMs,
  isWithinDeliveryBound,
  retryDelayMs,
} from './delivery-policy.js';

describe('decideAfterFailure', () => {
  const cases: [string, unknown, number, ReturnType<typeof decideAfterFailure>][] = [
    [
      'an unclassified error on the first delivery is retried after a second',
      new Error('boom'),
      1,
      { kind: 'retry', delayMs: 1000 },
    ],
    [
      'an unclassified error one before the bound is retried',
      new Error('boom'),
      9,
      { kind: 'retry', delayMs: 30_000 },
    ],
    [
      'an unclassified error on the last delivery is dead-lettered',
      new Error('boom'),
      10,
      { kind: 'dead-letter', reason: 'exhausted' },
    ],
    [
      'a thrown string on the last delivery is dead-lettered',
      'boom',
      10,
      { kind: 'dead-letter', reason: 'exhausted' },
    ],
    [
      'a retryable AppError is retried',
      new AppError('UPSTREAM_UNAVAILABLE', 'down'),
      3,
      { kind: 'retry', delayMs: 4000 },
    ],
    [
      'a retryable AppError on the last delivery is dead-lettered',
      new AppError('TIMEOUT', 'slow'),
      10,
      { kind: 'dead-letter', reason: 'exhausted' },
    ],
    [
      'a non-retryable AppError is dead-lettered at once',
      new AppError('INVALID_MESSAGE', 'bad'),
      1,
      { kind: 'dead-letter', reason: 'rejected' },
    ],
    [
      'an AppError marked retryable against its catalogue entry is retried',
      new AppError('INTERNAL', 'flaky', { retryable: true }),
      1,
      { kind: 'retry', delayMs: 1000 },
    ],
    [
      'an AppError marked not retryable against its catalogue entry is dead-lettered',
      new AppError('UPSTREAM_FAILED', 'refused', { retryable: false }),
      1,
      { kind: 'dead-letter', reason: 'rejected' },
    ],
  ];
  it.each(cases)('%s', (_name, error, deliveries, expected) => {
    expect(decideAfterFailure({ error, deliveries, maxDeliveries: 10 })).toEqual(expected);
  });

  it('dead-letters the first failure when only one delivery is allowed', () => {
    expect(decideAfterFailure({ error: new Error('x'), deliveries: 1, maxDeliveries: 1 })).toEqual({
      kind: 'dead-letter',
      reason: 'exhausted',
    });
  });
});

describe('retryDelayMs', () => {
  it('doubles from one second and stops at half a minute', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 50].map(retryDelayMs)).toEqual([
      1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000,
    ]);
  });
});

describe('isWithinDeliveryBound', () => {
  it('admits deliveries up to the bound and refuses the one past it', () => {
    expect([1, 10, 11].map((d) => isWithinDeliveryBound(d, 10))).toEqual([true, true, false]);
  });
});

describe('heartbeatIntervalMs', () => {
  it('gives two progress acks per ack wait', () => {
    expect(heartbeatIntervalMs(5000)).toBe(2000);
    expect(heartbeatIntervalMs(1)).toBe(1);
  });
});

describe('describeError', () => {
  it('names the code of an AppError, the name of an Error, and nothing else', () => {
    const cause = new Error('secret inner detail');
    expect(describeError(new AppError('INVALID_MESSAGE', 'bad envelope', { cause }))).toBe(
      'INVALID_MESSAGE: bad envelope',
    );
    expect(describeError(new TypeError('x is undefined'))).toBe('TypeError: x is undefined');
    expect(describeError(42)).toBe('42');
  });
});
