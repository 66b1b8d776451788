import { describe, expect, it } from 'vitest';
import { preloadHints, withPreloadHints, type ViteManifest } from './page-preloads.js';

// The shape Vite writes: the entry, two pages sharing a chunk, the shared chunk importing the entry.
const manifest: ViteManifest = {
  'index.html': { file: 'assets/index-a1.js', isEntry: true, css: ['assets/index-a1.css'] },
  'src/pages/RolesPage.tsx': {
    file: 'assets/RolesPage-b2.js',
    imports: ['index.html', '_cards-c3.js', '_select-d4.js'],
    css: ['assets/RolesPage-b2.css'],
  },
  '_cards-c3.js': {
    file: 'assets/cards-c3.js',
    imports: ['index.html', '_select-d4.js'],
    css: ['assets/cards-c3.css'],
  },
  '_select-d4.js': { file: 'assets/select-d4.js', imports: ['index.html'] },
  'src/pages/ResourcesPage.tsx': {
    file: 'assets/ResourcesPage-e5.js',
    imports: ['index.html', '_select-d4.js'],
  },
};

describe('preload hints of a page path', () => {
  it("names the roles page's API calls, then its chunk and every chunk and sheet it imports once, not the entry", () => {
    expect(preloadHints(manifest, '/')).toEqual({
      fetches: [
        '<link rel="preload" as="fetch" crossorigin href="/api/v3/session">',
        '<link rel="preload" as="fetch" crossorigin href="/api/v3/roles/eligible">',
      ],
      assets: [
        '<link rel="modulepreload" crossorigin href="/assets/RolesPage-b2.js">',
        '<link rel="modulepreload" crossorigin href="/assets/cards-c3.js">',
        '<link rel="modulepreload" crossorigin href="/assets/select-d4.js">',
        '<link rel="preload" as="style" crossorigin href="/assets/RolesPage-b2.css">',
        '<link rel="preload" as="style" crossorigin href="/assets/cards-c3.css">',
      ],
    });
  });

  it('gives the resources page its chunks and no role list; other pages the session call only', () => {
    const resources = preloadHints(manifest, '/resources');
    expect(resources.assets.join()).toContain('/assets/ResourcesPage-e5.js');
    expect(resources.assets.join()).not.toContain('RolesPage');
    expect(resources.fetches.join()).not.toContain('/api/v3/roles/eligible');
    expect(preloadHints(manifest, '/requests')).toEqual({
      fetches: ['<link rel="preload" as="fetch" crossorigin href="/api/v3/session">'],
      assets: [],
    });
  });

  it('puts the API calls before the entry script and the chunks after it, and leaves a page without a head alone', () => {
    expect(preloadHints({}, '/').assets).toEqual([]);
    const hints = { fetches: ['<link f>'], assets: ['<link a>'] };
    expect(
      withPreloadHints(
        '<head><title>R</title><script src="/e.js"></script><link rel="stylesheet" href="/e.css"></head>',
        hints,
      ),
    ).toBe(
      '<head><title>R</title><link f>\n    <script src="/e.js"></script><link rel="stylesheet" href="/e.css">  <link a>\n  </head>',
    );
    expect(withPreloadHints('<html><head><title>R</title></head></html>', hints)).toBe(
      '<html><head><title>R</title><link f>\n      <link a>\n  </head></html>',
    );
    expect(withPreloadHints('<html><body></body></html>', hints)).toBe('<html><body></body></html>');
  });
});
