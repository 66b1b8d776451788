import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors/index.js';
import { applyEnvOverrides, loadConfig, parseConfig } from './load.js';
import { MIN_JWT_SECRET_LENGTH } from './rules.js';

/** The problems parseConfig refused the document with, or [] when it accepted it. */
function problemsOf(...args: Parameters<typeof parseConfig>): { path: string; message: string }[] {
  try {
    parseConfig(...args);
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('INVALID_CONFIG');
    return (error as AppError).context.problems as { path: string; message: string }[];
  }
}

describe('parseConfig', () => {
  it('fills every default from an empty document and freezes the result', () => {
    const config = parseConfig({});
    expect(config.aws.spokeRoleName).toBe('RolecallSpoke');
    expect(config.crawl.intervals.iam).toBe(2700);
    expect(config.gateway.trustedProxies).toEqual(['127.0.0.1', '::1']);
    expect(Object.isFrozen(config.aws)).toBe(true);
  });

  it('reports every problem at once, each with its path', () => {
    let caught: unknown;
    try {
      parseConfig({ aws: { regions: 'us-east-1' }, gateway: { port: 'eighty' }, unknownKey: 1 });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AppError);
    const error = caught as AppError;
    expect(error.code).toBe('INVALID_CONFIG');
    const paths = (error.context.problems as { path: string }[]).map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(['/aws/regions', '/gateway/port']));
    expect(paths.some((p) => p === '/' || p.includes('unknownKey'))).toBe(true);
    expect(error.message).toContain('/gateway/port');
  });

  it('refuses a malformed static account id', () => {
    expect(() => parseConfig({ accounts: { source: 'static', static: [{ id: '123', name: 'x' }] } })).toThrow(
      /accounts\/static\/0\/id/,
    );
  });
});

describe('cross-key rules', () => {
  const secret = (length: number) => 's'.repeat(length);

  it('refuses the demo federation stand-in in production, for every service', () => {
    for (const service of [undefined, 'gateway', 'broker', 'cache', 'crawler', 'requests'] as const) {
      const problems = problemsOf(
        {
          environment: 'production',
          auth: { jwt: { secret: secret(40) } },
          demo: { federationStandIn: true },
        },
        'config',
        { service },
      );
      expect({ service, problems }).toEqual({
        service,
        problems: [
          { path: '/demo/federationStandIn', message: 'demo.federationStandIn must not be on in production' },
        ],
      });
    }
  });

  it('allows the demo federation stand-in in demo and test', () => {
    for (const environment of ['demo', 'test']) {
      const config = parseConfig({ environment, demo: { federationStandIn: true } }, 'config', {
        service: 'gateway',
      });
      expect(config.demo.federationStandIn).toBe(true);
    }
  });

  it('refuses demo users (who sign in by name alone) in production, and keeps them elsewhere', () => {
    const users = [{ email: 'alice@example.com', groups: ['engineering'] }];
    const problems = problemsOf(
      { environment: 'production', auth: { jwt: { secret: secret(40) } }, demo: { users } },
      'config',
      { service: 'gateway' },
    );
    expect(problems).toEqual([
      {
        path: '/demo/users',
        message: 'demo.users must be empty in production (they may sign in without a password)',
      },
    ]);
    expect(parseConfig({ environment: 'demo', demo: { users } }).demo.users).toEqual(users);
  });

  it('refuses a production gateway without a JWT secret of at least the minimum length', () => {
    expect(MIN_JWT_SECRET_LENGTH).toBe(32);
    for (const jwt of [{}, { secret: '' }, { secret: secret(MIN_JWT_SECRET_LENGTH - 1) }]) {
      const problems = problemsOf({ environment: 'production', auth: { jwt } }, 'config', {
        service: 'gateway',
      });
      expect(problems).toHaveLength(1);
      expect(problems[0]?.path).toBe('/auth/jwt/secret');
      expect(problems[0]?.message).toMatch(
        /^auth\.jwt\.secret must be set to at least 32 characters in production/,
      );
    }
    const config = parseConfig(
      { environment: 'production', auth: { jwt: { secret: secret(MIN_JWT_SECRET_LENGTH) } } },
      'config',
      { service: 'gateway' },
    );
    expect(config.auth.jwt.secret).toHaveLength(MIN_JWT_SECRET_LENGTH);
  });

  it('accepts rotating JWT keys in place of the secret in production, each long enough, each id once', () => {
    const gateway = { service: 'gateway' } as const;
    const key = (id: string, length = MIN_JWT_SECRET_LENGTH) => ({ id, secret: secret(length) });
    const production = (jwt: object) => ({ environment: 'production', auth: { jwt } });
    const config = parseConfig(production({ keys: [key('k2'), key('k1')] }), 'config', gateway);
    expect(config.auth.jwt.keys?.map((k) => k.id)).toEqual(['k2', 'k1']);
    expect(problemsOf(production({ keys: [key('k2'), key('k1', 31)] }), 'config', gateway)).toEqual([
      {
        path: '/auth/jwt/keys/1/secret',
        message: expect.stringContaining('at least 32 characters') as string,
      },
    ]);
    expect(problemsOf(production({ keys: [key('k1'), key('k1')] }), 'config', gateway)).toEqual([
      { path: '/auth/jwt/keys/1/id', message: expect.stringContaining('k1 is used twice') as string },
    ]);
    expect(problemsOf(production({ keys: [key('k1')], secret: 'short' }), 'config', gateway)).toHaveLength(1);
    expect(problemsOf(production({ keys: [] }), 'config', gateway).length).toBeGreaterThan(0);
  });

  it('refuses a trusted proxy entry that is not an address or CIDR range, naming it', () => {
    const gateway = { service: 'gateway' } as const;
    for (const entry of ['proxy.internal', '10.0.0.0/33', 'fd00::/129', '10.0.0.1/8/8', '10.0.0.0/x']) {
      expect(
        problemsOf(
          { environment: 'test', gateway: { trustedProxies: ['10.0.0.1', entry] } },
          'config',
          gateway,
        ),
      ).toEqual([
        {
          path: '/gateway/trustedProxies/1',
          message: expect.stringContaining(`${entry} is not an IP address or CIDR range`) as string,
        },
      ]);
    }
    const ok = ['10.0.0.0/8', 'fd00::/8', '::1', '::ffff:10.0.0.1', '192.0.2.7/32'];
    expect(
      parseConfig({ environment: 'test', gateway: { trustedProxies: ok } }, 'config', gateway).gateway
        .trustedProxies,
    ).toEqual(ok);
  });

  it('never repeats the refused JWT secret in the error', () => {
    try {
      parseConfig({ environment: 'production', auth: { jwt: { secret: 'hunter2-hunter2' } } }, 'config', {
        service: 'gateway',
      });
      expect.unreachable('a short production secret was accepted');
    } catch (error) {
      expect(
        JSON.stringify({ message: (error as AppError).message, context: (error as AppError).context }),
      ).not.toContain('hunter2');
    }
  });

  it('lets demo and test gateways and other production services start without a JWT secret', () => {
    for (const environment of ['demo', 'test']) {
      expect(problemsOf({ environment }, 'config', { service: 'gateway' })).toEqual([]);
    }
    for (const service of [undefined, 'broker', 'cache', 'crawler', 'requests'] as const) {
      expect({ service, problems: problemsOf({ environment: 'production' }, 'config', { service }) }).toEqual(
        {
          service,
          problems: [],
        },
      );
    }
  });

  it('reports schema and rule problems together, each with its path', () => {
    let caught: unknown;
    try {
      parseConfig(
        { environment: 'production', gateway: { port: 'eighty' }, demo: { federationStandIn: true } },
        'rolecall.yaml',
        {
          service: 'gateway',
        },
      );
    } catch (error) {
      caught = error;
    }
    const error = caught as AppError;
    expect((error.context.problems as { path: string }[]).map((p) => p.path).sort()).toEqual([
      '/auth/jwt/secret',
      '/demo/federationStandIn',
      '/gateway/port',
    ]);
    expect(error.message).toMatch(/^rolecall\.yaml has 3 problem\(s\):\n/);
    for (const path of ['/auth/jwt/secret', '/demo/federationStandIn', '/gateway/port']) {
      expect(error.message).toContain(`  ${path}: `);
    }
  });

  it('skips a rule whose keys the schema already refused, so each mistake is reported once', () => {
    expect(
      problemsOf({ environment: 'production', auth: { jwt: { secret: 5 } } }, 'config', {
        service: 'gateway',
      }),
    ).toEqual([{ path: '/auth/jwt/secret', message: expect.stringMatching(/string/i) as string }]);
    expect(
      problemsOf({ environment: 'prod', demo: { federationStandIn: true } }, 'config', {
        service: 'gateway',
      }).map((p) => p.path),
    ).toEqual(['/environment']);
    expect(problemsOf({ auth: 'none' }, 'config', { service: 'gateway' }).map((p) => p.path)).toEqual([
      '/auth',
    ]);
    expect(problemsOf('not a mapping', 'config', { service: 'gateway' }).map((p) => p.path)).toEqual(['/']);
  });

  it('applies the rules to a loaded file after the environment overrides', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rolecall-config-'));
    const path = join(dir, 'rolecall.yaml');
    await writeFile(path, 'environment: production\n');
    await expect(loadConfig({}, path, { service: 'gateway' })).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      message: expect.stringContaining('/auth/jwt/secret') as string,
    });
    const config = await loadConfig({ ROLECALL__AUTH__JWT__SECRET: secret(48) }, path, {
      service: 'gateway',
    });
    expect(config.auth.jwt.secret).toHaveLength(48);
    expect((await loadConfig({}, path, { service: 'crawler' })).environment).toBe('production');
  });
});

describe('environment overrides', () => {
  it('lets well-known variables and ROLECALL__ paths override single keys', () => {
    const raw = applyEnvOverrides(
      { nats: { url: 'nats://file:4222' } },
      { NATS_URL: 'nats://env:4222', ROLECALL_PORT: '9000', ROLECALL__CRAWL__BATCH_SIZE: '25' },
    );
    const config = parseConfig(raw);
    expect(config.nats.url).toBe('nats://env:4222');
    expect(config.gateway.port).toBe(9000);
    expect(config.crawl.batchSize).toBe(25);
  });

  it('loads a YAML file and names the file when it is missing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rolecall-config-'));
    const path = join(dir, 'rolecall.yaml');
    await writeFile(path, 'aws:\n  regions: [us-east-1, eu-west-1]\n');
    const config = await loadConfig({}, path);
    expect(config.aws.regions).toEqual(['us-east-1', 'eu-west-1']);
    await expect(loadConfig({}, join(dir, 'missing.yaml'))).rejects.toThrow(/missing\.yaml/);
  });
});
