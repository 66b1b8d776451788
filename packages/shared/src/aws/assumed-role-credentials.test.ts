import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppError } from '../errors/index.js';
import { cacheUntilExpiry } from './assumed-role-credentials.js';

const NOW = new Date('2026-12-01T12:00:00.000Z');
const minutes = (n: number) => new Date(NOW.getTime() + n * 60_000);

/** A fake AssumeRole: each call hands out a new session expiring an hour after the clock's time. */
function fakeSessions() {
  let calls = 0;
  const fetch = vi.fn(() => {
    calls += 1;
    return Promise.resolve({
      accessKeyId: `ASIA${calls}`,
      secretAccessKey: 'secret',
      sessionToken: 'token',
      expiration: new Date(Date.now() + 60 * 60_000),
    });
  });
  return { fetch };
}

describe('cacheUntilExpiry', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(NOW);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('asks once for callers arriving together and serves that session to later ones', async () => {
    const { fetch } = fakeSessions();
    const provider = cacheUntilExpiry(fetch);
    const together = await Promise.all([provider(), provider(), provider()]);
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(new Set(together.map((c) => c.accessKeyId))).toEqual(new Set(['ASIA1']));
    vi.setSystemTime(minutes(54));
    expect((await provider()).accessKeyId).toBe('ASIA1');
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it('renews the session once it is within five minutes of expiring', async () => {
    const { fetch } = fakeSessions();
    const provider = cacheUntilExpiry(fetch);
    await provider();
    vi.setSystemTime(minutes(55));
    expect((await provider()).accessKeyId).toBe('ASIA2');
    expect(fetch).toHaveBeenCalledTimes(2);
  });

  it('keeps no failure: the call after one asks again', async () => {
    const { fetch } = fakeSessions();
    fetch.mockImplementationOnce(() => Promise.reject(new AppError('ACCESS_DENIED', 'AssumeRole failed')));
    const provider = cacheUntilExpiry(fetch);
    await expect(provider()).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
    expect((await provider()).accessKeyId).toBe('ASIA1');
    expect(fetch).toHaveBeenCalledTimes(2);
  });
});
