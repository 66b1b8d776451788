import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors/index.js';
import { applyEnvOverrides, loadConfig, parseConfig } from './load.js';

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
