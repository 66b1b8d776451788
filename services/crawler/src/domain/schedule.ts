import type { CrawlType } from '@rolecall/shared/contracts';

/**
 * The slot a schedule is in: `floor(now / interval)`. Every process computes the same slot for the same
 * instant, so a slot key names one scheduled run across the whole fleet.
 */
export const slotOf = (nowMs: number, intervalSeconds: number): number =>
  Math.floor(nowMs / (intervalSeconds * 1000));

export const slotKey = (name: string, slot: number): string => `${name}.${slot}`;

/**
 * The schedules whose slot has changed since this process last looked. A process that has never looked
 * finds every schedule due, so a fresh install crawls everything at once.
 */
export function dueSlots<N extends string>(options: {
  nowMs: number;
  intervals: Readonly<Record<N, number>>;
  lastSeen: ReadonlyMap<N, number>;
}): { name: N; slot: number }[] {
  const due: { name: N; slot: number }[] = [];
  for (const name of Object.keys(options.intervals) as N[]) {
    const slot = slotOf(options.nowMs, options.intervals[name]);
    if (options.lastSeen.get(name) !== slot) due.push({ name, slot });
  }
  return due;
}

export type ScheduleName = CrawlType | 'discovery';
