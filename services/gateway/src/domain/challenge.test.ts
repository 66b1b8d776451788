import { describe, expect, it } from 'vitest';
import { isSameClient } from './addresses.js';
import {
  approveChallenge,
  createChallenge,
  pollChallenge,
  viewChallenge,
  type Challenge,
} from './challenge.js';
import type { ChallengeStore } from './ports.js';

function memoryStore(): ChallengeStore {
  const items = new Map<string, string>();
  return {
    save: (c) => {
      items.set(c.token, JSON.stringify(c));
      return Promise.resolve();
    },
    get: (t) => {
      const raw = items.get(t);
      return Promise.resolve(raw === undefined ? undefined : (JSON.parse(raw) as Challenge));
    },
    replace: (expected, next) => {
      if (items.get(expected.token) !== JSON.stringify(expected)) return Promise.resolve(false);
      items.set(expected.token, JSON.stringify(next));
      return Promise.resolve(true);
    },
    take: (t) => Promise.resolve(items.delete(t)),
  };
}

const alice = { user: 'Alice@Example.com', groups: ['eng'], source: 'test' };
const rules = { requireSameIp: true };

describe('challenge login rules', () => {
  it('treats every loopback address as the same client, and other addresses as different', () => {
    expect(isSameClient('127.0.0.1', '::1')).toBe(true);
    expect(isSameClient('::ffff:127.0.0.1', '::1')).toBe(true);
    expect(isSameClient('10.0.0.1', '::ffff:10.0.0.1')).toBe(true);
    expect(isSameClient('127.0.0.1', '10.0.0.1')).toBe(false);
    expect(isSameClient('::1', '::2')).toBe(false);
  });

  it('approves once (user compared without case), then hands out success to one poll only', async () => {
    let now = 1_000;
    const deps = { store: memoryStore(), now: () => now };
    const challenge = await createChallenge(deps, 'alice@example.com', '127.0.0.1');
    const viewed = await viewChallenge(deps, rules, challenge.token, alice, '::1');
    expect(viewed).toHaveProperty('challenge');
    expect(await approveChallenge(deps, rules, challenge.token, alice, '::1', 'wrong')).toEqual({
      refused: 'bad_nonce',
    });
    expect(
      await approveChallenge(deps, rules, challenge.token, alice, '::1', challenge.nonce),
    ).toHaveProperty('approved');
    expect(await approveChallenge(deps, rules, challenge.token, alice, '::1', challenge.nonce)).toEqual({
      refused: 'already_approved',
    });
    now += 1_000;
    const results = await Promise.all([
      pollChallenge(deps, challenge.token, '127.0.0.1'),
      pollChallenge(deps, challenge.token, '127.0.0.1'),
    ]);
    expect(results.filter((r) => r.status === 'success')).toHaveLength(1);
    expect(results.find((r) => r.status === 'success')).toMatchObject({
      jwtUser: 'Alice@Example.com',
      groups: ['eng'],
    });
  });

  it('refuses other users and other addresses, and expires after two minutes', async () => {
    let now = 0;
    const deps = { store: memoryStore(), now: () => now };
    const challenge = await createChallenge(deps, 'alice@example.com', '192.0.2.1');
    expect(
      await viewChallenge(deps, rules, challenge.token, { ...alice, user: 'bob@example.com' }, '192.0.2.1'),
    ).toMatchObject({
      refused: 'other_user',
    });
    expect(await viewChallenge(deps, rules, challenge.token, alice, '192.0.2.2')).toMatchObject({
      refused: 'other_ip',
    });
    expect(
      await viewChallenge(deps, { requireSameIp: false }, challenge.token, alice, '192.0.2.2'),
    ).toHaveProperty('challenge');
    expect(await pollChallenge(deps, challenge.token, '192.0.2.2')).toEqual({ status: 'unauthorized' });
    now = 2 * 60_000;
    expect(await viewChallenge(deps, rules, challenge.token, alice, '192.0.2.1')).toEqual({
      refused: 'expired',
    });
    expect(await pollChallenge(deps, challenge.token, '192.0.2.1')).toEqual({ status: 'expired' });
  });
});
