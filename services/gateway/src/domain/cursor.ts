import { AppError } from '@rolecall/shared/errors';

const VERSION = 'v1:';
const MAX_ARN_LENGTH = 2048;

/**
 * A page cursor is the last ARN the page covered, opaque to clients (base64url) and versioned so the
 * format can change without old cursors being misread.
 */
export function encodeCursor(lastArn: string): string {
  return Buffer.from(`${VERSION}${lastArn}`, 'utf8').toString('base64url');
}

/** Returns the ARN after which the next page starts; INVALID_CURSOR for anything not made by encodeCursor. */
export function decodeCursor(cursor: string): string {
  const invalid = () =>
    new AppError(
      'INVALID_CURSOR',
      'cursor is malformed; pass the nextCursor value of the previous page unchanged',
    );
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid();
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  // Re-encoding catches inputs that base64url decoding silently repaired or truncated.
  if (Buffer.from(text, 'utf8').toString('base64url') !== cursor) throw invalid();
  if (!text.startsWith(VERSION)) throw invalid();
  const arn = text.slice(VERSION.length);
  if (!arn.startsWith('arn:') || arn.length > MAX_ARN_LENGTH) throw invalid();
  return arn;
}
