import { describe, expect, it } from 'vitest';
import { expirySoon, type ExpiringChange } from './expiry-soon.js';

const NOW = new Date('2025-06-01T12:00:00.000Z');
const HOUR = 3_600_000;
const at = (offsetMs: number) => new Date(NOW.getTime() + offsetMs).toISOString();

function change(id: string, expiresInMs: number, remindedAt?: string): ExpiringChange {
  return {
    requestId: 'r1',
    changeId: id,
    principalArn: 'arn:aws:iam::111111111111:role/app',
    expiresAt: at(expiresInMs),
    ...(remindedAt === undefined ? {} : { remindedAt }),
  };
}

describe('expirySoon', () => {
  it.each([
    ['ending in one hour', change('c', HOUR), true],
    ['ending in exactly 24 hours', change('c', 24 * HOUR), true],
    ['ending one millisecond past 24 hours', change('c', 24 * HOUR + 1), false],
    ['ending now (left to its expired notification)', change('c', 0), false],
    ['already ended', change('c', -HOUR), false],
    ['reminded within the window already', change('c', 2 * HOUR, at(-HOUR)), false],
    [
      'reminded of an earlier expiry, before the window of this one',
      change('c', 2 * HOUR, at(-23 * HOUR)),
      true,
    ],
    ['with an expiry that is not a date', { ...change('c', HOUR), expiresAt: 'soon' }, false],
  ])('a change %s: due=%s', (_name, input, due) => {
    expect(expirySoon([input], NOW)).toEqual(due ? [input] : []);
  });

  it('is due once: after the caller records the reminder, the next run at a later time skips it', () => {
    const first = expirySoon([change('c', 10 * HOUR)], NOW);
    expect(first).toHaveLength(1);
    const recorded = first.map((c) => ({ ...c, remindedAt: NOW.toISOString() }));
    expect(expirySoon(recorded, new Date(NOW.getTime() + HOUR))).toEqual([]);
  });

  it('keeps the due changes of a mixed list in order and takes another window', () => {
    const changes = [change('a', 30 * 60_000), change('b', 3 * HOUR), change('c', 90 * 60_000)];
    expect(expirySoon(changes, NOW, 2 * HOUR).map((c) => c.changeId)).toEqual(['a', 'c']);
  });
});
