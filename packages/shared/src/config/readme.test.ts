import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
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
