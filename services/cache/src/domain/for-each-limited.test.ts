import { describe, expect, it } from 'vitest';
import { forEachLimited } from './for-each-limited.js';

describe('forEachLimited', () => {
  it('runs every value with no more than the limit in flight at once', async () => {
    let running = 0;
    let most = 0;
    const done: number[] = [];
    await forEachLimited([1, 2, 3, 4, 5, 6, 7], 3, async (value) => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 1));
      done.push(value);
      running -= 1;
    });
    expect(most).toBe(3);
    expect(done.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('rejects with the first failure', async () => {
    await expect(
      forEachLimited([1, 2, 3], 2, async (value) => {
        await Promise.resolve();
        if (value === 2) throw new Error('item 2 failed');
      }),
    ).rejects.toThrow('item 2 failed');
  });
});
