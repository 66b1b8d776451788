import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { applyEnvOverrides, parseConfig } from './load.js';
import { renderConfigTable } from './reference.js';

describe('README configuration reference', () => {
  it('lists every configuration key exactly as the schema defines it', async () => {
    const readme = await readFile(new URL('../../../../README.md', import.meta.url), 'utf8');
    const section = /<!-- config:start[^\n]*-->\n([\s\S]*?)<!-- config:end -->/.exec(readme)?.[1]?.trim();
    expect(section, 'run `node scripts/render-config-docs.mjs` after changing the config schema').toBe(
      renderConfigTable(),
    );
  });
});

describe('README production deployment examples', () => {
  it('holds config examples that the gateway accepts as written, the JWT secret from the environment', async () => {
    const readme = await readFile(new URL('../../../../README.md', import.meta.url), 'utf8');
    const section = /\n## Production deployment\n([\s\S]*?)\n## /.exec(readme)?.[1] ?? '';
    const examples = [...section.matchAll(/```yaml\n(# rolecall\.yaml\n[\s\S]*?)```/g)].map(
      (m) => m[1] ?? '',
    );
    // oauth2-proxy, ALB, OIDC and the key rotation.
    expect(examples).toHaveLength(4);
    const env = { ROLECALL__AUTH__JWT__SECRET: 'k'.repeat(48) };
    for (const example of examples) {
      expect(() =>
        parseConfig(applyEnvOverrides(parse(example), env), 'README', { service: 'gateway' }),
      ).not.toThrow();
    }
  });
});
