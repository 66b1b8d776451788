import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from './cursor.js';

describe('page cursors', () => {
  it('decode what they encode, for any ARN', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (tail) => {
        const arn = `arn:${tail}`;
        expect(decodeCursor(encodeCursor(arn))).toBe(arn);
      }),
    );
  });

  it('are opaque: no ARN text is visible in them', () => {
    expect(encodeCursor('arn:aws:s3:::bucket')).not.toContain('arn');
  });

  it.each([
    ['not base64url', 'a+b/'],
    ['not made by encodeCursor', Buffer.from('arn:aws:s3:::x').toString('base64url')],
    ['without an ARN', Buffer.from('v1:hello').toString('base64url')],
    ['truncated', encodeCursor('arn:aws:s3:::bucket').slice(0, -1)],
    ['empty', ''],
  ])('refuses a cursor that is %s with INVALID_CURSOR', (_, cursor) => {
    expect(() => decodeCursor(cursor)).toThrowError(
      expect.objectContaining({ code: 'INVALID_CURSOR' }) as Error,
    );
  });
});
