import { describe, expect, it } from 'vitest';
import {
  createAddressMatcher,
  createTrustedHeaderIdentitySource,
  isAdmin,
  normaliseAddress,
  parseGroups,
  routeGroupOf,
} from './identity.js';

const source = createTrustedHeaderIdentitySource({
  userHeader: 'X-Forwarded-Email',
  groupsHeader: 'X-Forwarded-Groups',
  lowercaseGroups: true,
  trustedProxies: ['127.0.0.1', '::1', '10.0.0.0/8'],
  routeGroups: ['ui', 'api', 'cli'],
});

describe('trusted header identity', () => {
  it('reads user and lower-cased, de-duplicated groups from a trusted peer', async () => {
    const identity = await source.identify({
      remoteAddress: '::ffff:127.0.0.1',
      routeGroup: 'api',
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
        routeGroup: 'api',
        headers: { 'x-forwarded-email': 'root@example.com' },
      }),
    ).toBeUndefined();
    expect(
      await source.identify({
        remoteAddress: undefined,
        routeGroup: 'api',
        headers: { 'x-forwarded-email': 'a@b' },
      }),
    ).toBeUndefined();
  });

  it('believes the headers only on the configured route groups, and on no route never', async () => {
    const apiOnly = createTrustedHeaderIdentitySource({
      userHeader: 'X-Forwarded-Email',
      groupsHeader: 'X-Forwarded-Groups',
      lowercaseGroups: true,
      trustedProxies: ['10.0.0.0/8'],
      routeGroups: ['api'],
    });
    const headers = { 'x-forwarded-email': 'alice@example.com' };
    const users = await Promise.all(
      (['api', 'ui', 'cli', undefined] as const).map(async (routeGroup) => {
        const identity = await apiOnly.identify({
          remoteAddress: '10.3.2.1',
          headers,
          ...(routeGroup ? { routeGroup } : {}),
        });
        return { routeGroup, user: identity?.user };
      }),
    );
    expect(users).toEqual([
      { routeGroup: 'api', user: 'alice@example.com' },
      { routeGroup: 'ui', user: undefined },
      { routeGroup: 'cli', user: undefined },
      { routeGroup: undefined, user: undefined },
    ]);
  });

  it('puts a route in its group by access and path', () => {
    expect(routeGroupOf('cli', '/api/v1/get_credentials')).toBe('cli');
    expect(routeGroupOf('user', '/api/v2/roles/:account/:name')).toBe('api');
    expect(routeGroupOf('public', '/noauth/v1/challenge_generator/:user')).toBe('api');
    expect(routeGroupOf('public', '/api')).toBe('api');
    expect(routeGroupOf('public', '/')).toBe('ui');
    expect(routeGroupOf('public', '/apis-explained')).toBe('ui');
    expect(routeGroupOf('public', '/challenge/:token')).toBe('ui');
  });

  it('gives no identity without a user header', async () => {
    expect(
      await source.identify({
        remoteAddress: '::1',
        routeGroup: 'api',
        headers: { 'x-forwarded-groups': 'admins' },
      }),
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
