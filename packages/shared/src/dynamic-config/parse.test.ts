import { describe, expect, it } from 'vitest';
import { parseDynamicConfig, sha256Of } from './parse.js';

const ARN = 'arn:aws:iam::123456789012:role/readonly';

describe('parseDynamicConfig', () => {
  it('accepts ConsoleMe group_mapping and groups, keeps unknown top-level keys, and reads empty as {}', () => {
    const config = parseDynamicConfig(
      `group_mapping:\n  eng:\n    roles: [${ARN}]\n    cli_only_roles: []\ngroups:\n  can_admin: [admins]\n  can_audit: [sec]\npermission_templates: []\n`,
    );
    expect(config.group_mapping?.eng?.roles).toEqual([ARN]);
    expect(config.groups?.can_admin).toEqual(['admins']);
    expect((config as Record<string, unknown>).permission_templates).toEqual([]);
    expect(parseDynamicConfig('')).toEqual({});
  });

  it('reports YAML syntax errors with their line as VALIDATION_FAILED', () => {
    let caught: unknown;
    try {
      parseDynamicConfig('group_mapping:\n  eng: [\n');
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect((caught as Error).message).toMatch(/line \d+/);
  });

  it('reports schema problems with their paths', () => {
    let caught: unknown;
    try {
      parseDynamicConfig('group_mapping:\n  eng:\n    roles: [not-an-arn]\n    extra: 1\n');
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: 'VALIDATION_FAILED' });
    const paths = (caught as { context: { problems: { path: string }[] } }).context.problems.map(
      (p) => p.path,
    );
    expect(paths).toEqual(expect.arrayContaining(['/group_mapping/eng/roles/0', '/group_mapping/eng/extra']));
    expect(() => parseDynamicConfig('- a list\n')).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED' }),
    );
  });

  it('hashes the exact text', () => {
    expect(sha256Of('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Of('a: 1\n')).not.toBe(sha256Of('a: 1'));
  });
});
