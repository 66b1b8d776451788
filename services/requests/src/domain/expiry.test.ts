import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDuration, resolveExpiry } from './expiry.js';

const approvedAt = new Date('2030-05-01T10:15:00Z');

describe('parseDuration', () => {
  it.each([
    ['30m', 1_800_000],
    ['4h', 14_400_000],
    ['2d', 172_800_000],
    ['1w', 604_800_000],
  ])('reads %s', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['0h', '4', 'h', '4 h', '4H', '1y', '-1h', '1.5h', '1234567h'])('refuses %s', (text) =>
    expect(parseDuration(text)).toBeUndefined(),
  );

  it('agrees with the contract pattern on every input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 8 }), (text) => {
        expect(parseDuration(text) !== undefined).toBe(/^[1-9][0-9]{0,5}[mhdw]$/.test(text));
      }),
    );
  });
});

describe('resolveExpiry', () => {
  it('counts a duration from the approval', () => {
    expect(resolveExpiry({ expires_in: '4h' }, approvedAt)).toEqual({
      kind: 'at',
      at: new Date('2030-05-01T14:15:00Z'),
    });
  });

  it('keeps the instant fixed at approval, so a resumed approval does not move it', () => {
    const fixed = { expires_in: '4h', expires_at: '2030-05-01T14:15:00Z' };
    expect(resolveExpiry(fixed, new Date('2030-05-02T00:00:00Z'))).toEqual({
      kind: 'at',
      at: new Date('2030-05-01T14:15:00Z'),
    });
  });

  it("reads an ISO time and ConsoleMe's YYYYMMDD day", () => {
    expect(resolveExpiry({ expiration_date: '2030-06-01T08:00:00+02:00' }, approvedAt)).toEqual({
      kind: 'at',
      at: new Date('2030-06-01T06:00:00Z'),
    });
    expect(resolveExpiry({ expiration_date: 20300601 }, approvedAt)).toEqual({
      kind: 'at',
      at: new Date('2030-06-01T00:00:00Z'),
    });
  });

  it('refuses a day that does not exist and an expiry given twice', () => {
    expect(resolveExpiry({ expiration_date: 20300231 }, approvedAt).kind).toBe('invalid');
    expect(resolveExpiry({ expiration_date: 20300601, expires_in: '1h' }, approvedAt).kind).toBe('invalid');
  });

  it('has none without either field', () => {
    expect(resolveExpiry({}, approvedAt)).toEqual({ kind: 'none' });
  });
});
