import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '@rolecall/shared/config';
import { DEMO_USERS } from '@rolecall/testing';

const configFile = (name: string) => fileURLToPath(new URL(`../config/${name}`, import.meta.url));
const load = async (name: string): Promise<unknown> => parse(await readFile(configFile(name), 'utf8'));

describe('config files', () => {
  it('accepts the demo config and points it at the seeded demo organization', async () => {
    const config = parseConfig(await load('rolecall.yaml'), 'config/rolecall.yaml');
    expect(config.environment).toBe('demo');
    expect(config.aws).toMatchObject({
      region: 'us-east-1',
      regions: ['us-east-1', 'us-west-2'],
      hubRoleArn: 'arn:aws:iam::123456789012:role/RolecallHub',
      spokeRoleName: 'RolecallSpoke',
    });
    expect(config.accounts.source).toBe('organizations');
    expect(config.accounts.organizations.managementAccountId).toBe('123456789012');
    expect(Math.max(...Object.values(config.crawl.intervals))).toBeLessThanOrEqual(300);
    expect(config.auth.adminGroups).toEqual(['admins']);
    expect(config.gateway.port).toBe(8081);
    expect(config.gateway.trustedProxies).toEqual(['127.0.0.1', '::1']);
  });

  it('lists exactly the demo users whose groups the seeded role tags name', async () => {
    const config = parseConfig(await load('rolecall.yaml'));
    expect(config.demo.users).toEqual(DEMO_USERS.map((u) => ({ ...u, groups: [...u.groups] })));
    const admin = config.demo.users.find((u) => u.email === 'admin@example.com');
    expect(admin?.groups.some((g) => config.auth.adminGroups.includes(g))).toBe(true);
  });

  it('accepts the production example, which trusts only the real proxy addresses', async () => {
    const config = parseConfig(await load('rolecall.example.yaml'), 'config/rolecall.example.yaml');
    expect(config.environment).toBe('production');
    expect(config.aws.endpointUrl).toBeUndefined();
    expect(config.gateway.trustedProxies).not.toContain('127.0.0.1');
    expect(config.gateway.trustedProxies.length).toBeGreaterThan(0);
  });
});
