import { describe, expect, it } from 'vitest';
import {
  createAddressMatcher,
  createTrustedHeaderIdentitySource,
  isAdmin,
  normaliseAddress,
  parseGroups,
} from './identity.js';

const source = createTrustedHeaderIdentitySource({
  userHeader: 'X-Forwarded-Email',
  groupsHeader: 'X-Forwarded-Groups',
  lowercaseGroups: true,
  trustedProxies: ['127.0.0.1', '::1', '10.0.0.0/8'],
});

describe('trusted header identity', () => {
  it('reads user and lower-cased, de-duplicated groups from a trusted peer', async () => {
    const identity = await source.identify({
      remoteAddress: '::ffff:127.0.0.1',
      headers: { 'x-forwarded-email': ' alice@example.com ', 'x-forwarded-groups': 'Admins, eng,,ENG' },
    });
    expect(identity).toEqual({
      user: 'alice@example.com',
      groups: ['admins', 'eng'],
      source: 'trusted-header',
    });
  });

  it('gives no identity to an untrusted peer, whatever it sends', async () => {
    expect(
      await source.identify({
        remoteAddress: '203.0.113.9',
        headers: { 'x-forwarded-email': 'root@example.com' },
      }),
    ).toBeUndefined();
    expect(
      await source.identify({ remoteAddress: undefined, headers: { 'x-forwarded-email': 'a@b' } }),
    ).toBeUndefined();
  });

  it('gives no identity without a user header', async () => {
    expect(
      await source.identify({ remoteAddress: '::1', headers: { 'x-forwarded-groups': 'admins' } }),
    ).toBeUndefined();
  });
});

describe('address matching', () => {
  it('normalises IPv4-mapped IPv6 addresses', () => {
    expect(normaliseAddress('::FFFF:10.1.2.3')).toBe('10.1.2.3');
  });

  it('matches addresses and CIDR ranges, ignoring entries that are not addresses', () => {
    const matches = createAddressMatcher(['192.168.1.10', 'fd00::/8', 'not-an-ip']);
    expect(matches('192.168.1.10')).toBe(true);
    expect(matches('192.168.1.11')).toBe(false);
    expect(matches('fd12::1')).toBe(true);
    expect(matches('garbage')).toBe(false);
  });
});

describe('groups and admins', () => {
  it('keeps case when lower-casing is off, and compares admin groups the same way', () => {
    expect(parseGroups(['A,b', 'C'], false)).toEqual(['A', 'b', 'C']);
    expect(isAdmin({ user: 'u', groups: ['admins'], source: 't' }, ['Admins'], true)).toBe(true);
    expect(isAdmin({ user: 'u', groups: ['admins'], source: 't' }, ['Admins'], false)).toBe(false);
  });
});
