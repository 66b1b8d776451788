import type { CrawlType } from '@rolecall/shared/contracts';
import type { Logger } from '@rolecall/shared/log';
import type { AccountDiscovery } from '../domain/accounts.js';
import type { CrawlPlanner } from '../domain/plan-crawl.js';
import type { ScheduleClaims } from '../domain/ports.js';
import { dueSlots, slotKey, type ScheduleName } from '../domain/schedule.js';

export interface ScheduledFanOut {
  /** Claims every due slot it can and enqueues the crawls it won; returns the keys it claimed. */
  tick(nowMs: number): Promise<string[]>;
}

/**
 * Every crawler process ticks; for each slot only the process whose claim succeeds discovers accounts
 * and enqueues. A failed fan-out gives its claims back so the next tick, here or elsewhere, retries.
 */
export function createScheduledFanOut(options: {
  claims: ScheduleClaims;
  planner: CrawlPlanner;
  discovery: AccountDiscovery;
  intervals: Readonly<Partial<Record<ScheduleName, number>>>;
  log: Logger;
}): ScheduledFanOut {
  const lastSeen = new Map<ScheduleName, number>();
  const intervals = Object.fromEntries(
    Object.entries(options.intervals).filter(([, seconds]) => seconds !== undefined),
  ) as Record<ScheduleName, number>;
  let running: Promise<string[]> | undefined;

  const tickOnce = async (nowMs: number): Promise<string[]> => {
    const won: { name: ScheduleName; key: string }[] = [];
    try {
      for (const { name, slot } of dueSlots({ nowMs, intervals, lastSeen })) {
        const key = slotKey(name, slot);
        const claimed = await options.claims.claim(key);
        lastSeen.set(name, slot);
        if (claimed) won.push({ name, key });
      }
      if (won.length === 0) return [];
      options.log.info({ slots: won.map((w) => w.key) }, 'claimed schedule slots');
      const crawlTypes = won.filter((w) => w.name !== 'discovery').map((w) => w.name as CrawlType);
      if (crawlTypes.length > 0) {
        const reply = await options.planner.planCrawl({
          crawlTypes,
          trigger: 'schedule',
          requestedBy: 'schedule',
        });
        options.log.info({ crawlId: reply.crawlId, jobs: reply.jobs.length }, 'scheduled crawl enqueued');
      } else {
        await options.discovery.discover();
      }
      return won.map((w) => w.key);
    } catch (error) {
      options.log.error({ err: error }, 'scheduled fan-out failed; releasing its slots');
      for (const { name, key } of won) {
        lastSeen.delete(name);
        await options.claims.release(key).catch((releaseError: unknown) => {
          options.log.warn({ err: releaseError, key }, 'could not release schedule slot');
        });
      }
      return [];
    }
  };

  return {
    // Ticks never overlap: a slow discovery must not let a second tick claim the same slots twice.
    tick(nowMs) {
      running ??= tickOnce(nowMs).finally(() => {
        running = undefined;
      });
      return running;
    },
  };
}
