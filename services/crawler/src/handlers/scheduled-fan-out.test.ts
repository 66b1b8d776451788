/* eslint-disable @typescript-eslint/require-await -- in-memory fakes implement async ports without awaiting */
import type { StartCrawlReply } from '@rolecall/shared/contracts';
import { silentLogger } from '@rolecall/shared/log';
import { describe, expect, it } from 'vitest';
import type { CrawlRequest } from '../domain/plan-crawl.js';
import { dueSlots, slotOf } from '../domain/schedule.js';
import { createScheduledFanOut } from './scheduled-fan-out.js';

function fakeClaims() {
  const taken = new Set<string>();
  return {
    taken,
    claim: async (key: string) => {
      if (taken.has(key)) return false;
      taken.add(key);
      return true;
    },
    release: async (key: string) => {
      taken.delete(key);
    },
  };
}

const setup = (claims = fakeClaims(), failPlan = false) => {
  const plans: CrawlRequest[] = [];
  let discoveries = 0;
  const fanOut = createScheduledFanOut({
    claims,
    planner: {
      planCrawl: async (request): Promise<StartCrawlReply> => {
        if (failPlan) throw new Error('organizations down');
        plans.push(request);
        return { crawlId: 'c', jobs: [] };
      },
    },
    discovery: {
      discover: async () => {
        discoveries += 1;
        return { discoveryId: 'd', source: 'static', discoveredAt: '', accounts: [] };
      },
    },
    intervals: { iam: 60, s3: 120, discovery: 30 },
    log: silentLogger(),
  });
  return { fanOut, plans, discoveries: () => discoveries, claims };
};

describe('schedule slots', () => {
  it('finds every schedule due the first time and only changed slots after', () => {
    const intervals = { iam: 60, s3: 120 };
    expect(dueSlots({ nowMs: 600_000, intervals, lastSeen: new Map() })).toEqual([
      { name: 'iam', slot: 10 },
      { name: 's3', slot: 5 },
    ]);
    const lastSeen = new Map([
      ['iam', 10],
      ['s3', 5],
    ] as const);
    expect(dueSlots({ nowMs: 659_999, intervals, lastSeen })).toEqual([]);
    expect(dueSlots({ nowMs: 660_000, intervals, lastSeen })).toEqual([{ name: 'iam', slot: 11 }]);
    expect(slotOf(119_999, 120)).toBe(0);
  });
});

describe('createScheduledFanOut', () => {
  it('crawls every due type at the first tick with one plan, and nothing again in the same slot', async () => {
    const { fanOut, plans } = setup();
    expect((await fanOut.tick(600_000)).sort()).toEqual(['discovery.20', 'iam.10', 's3.5']);
    expect(plans).toEqual([{ crawlTypes: ['iam', 's3'], trigger: 'schedule', requestedBy: 'schedule' }]);
    expect(await fanOut.tick(610_000)).toEqual([]);
    expect(plans).toHaveLength(1);
  });

  it('leaves a slot another process claimed to that process', async () => {
    const shared = fakeClaims();
    const a = setup(shared);
    const b = setup(shared);
    const [wonA, wonB] = await Promise.all([a.fanOut.tick(600_000), b.fanOut.tick(600_000)]);
    expect([...wonA, ...wonB].sort()).toEqual(['discovery.20', 'iam.10', 's3.5']);
    expect(wonA.filter((k) => wonB.includes(k))).toEqual([]);
  });

  it('only discovers when the discovery slot alone is due', async () => {
    const { fanOut, plans, discoveries } = setup();
    await fanOut.tick(600_000);
    await fanOut.tick(630_000);
    expect(plans).toHaveLength(1);
    expect(discoveries()).toBe(1);
  });

  it('gives its slots back when the fan-out fails, so the next tick retries', async () => {
    const claims = fakeClaims();
    const { fanOut } = setup(claims, true);
    expect(await fanOut.tick(600_000)).toEqual([]);
    expect(claims.taken.size).toBe(0);
    const retry = setup(claims);
    expect((await retry.fanOut.tick(600_000)).sort()).toEqual(['discovery.20', 'iam.10', 's3.5']);
  });
});
