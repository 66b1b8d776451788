import type { ChangeModel } from '@rolecall/shared/contracts';

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** `30m`, `4h`, `2d`, `1w` → milliseconds; undefined for anything else (zero, other units, spaces). */
export function parseDuration(text: string): number | undefined {
  const match = /^([1-9][0-9]{0,5})([mhdw])$/.exec(text);
  if (!match) return undefined;
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

/** When a change's grant ends, if it does. */
export type Expiry = { kind: 'none' } | { kind: 'at'; at: Date } | { kind: 'invalid'; message: string };

/** ConsoleMe's YYYYMMDD integer → midnight UTC of that day, when it is a real day. */
function dayOf(value: number): Date | undefined {
  const year = Math.floor(value / 10_000);
  const month = Math.floor(value / 100) % 100;
  const day = value % 100;
  const at = new Date(Date.UTC(year, month - 1, day));
  return at.getUTCFullYear() === year && at.getUTCMonth() === month - 1 && at.getUTCDate() === day
    ? at
    : undefined;
}

/**
 * The instant a change's grant ends, counting a duration from `from` (the approval). A change that
 * already has `expires_at` (fixed at its approval) keeps it, so a resumed or repeated approval does not
 * move the end.
 */
export function resolveExpiry(
  change: Pick<ChangeModel, 'expiration_date' | 'expires_in' | 'expires_at'>,
  from: Date,
): Expiry {
  if (change.expires_at !== undefined) return { kind: 'at', at: new Date(change.expires_at) };
  const { expiration_date: date, expires_in: duration } = change;
  if (date !== undefined && duration !== undefined) {
    return { kind: 'invalid', message: 'give either expiration_date or expires_in, not both' };
  }
  if (duration !== undefined) {
    const ms = parseDuration(duration);
    return ms === undefined
      ? { kind: 'invalid', message: `expires_in "${duration}" is not a duration such as 30m, 4h, 2d or 1w` }
      : { kind: 'at', at: new Date(from.getTime() + ms) };
  }
  if (date === undefined) return { kind: 'none' };
  const at = typeof date === 'number' ? dayOf(date) : new Date(date);
  return at === undefined || Number.isNaN(at.getTime())
    ? { kind: 'invalid', message: `expiration_date ${String(date)} is not a date` }
    : { kind: 'at', at };
}
