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
  it("names the roles page's chunk, every chunk and sheet it imports once, and its role list, not the entry", () => {
    expect(
      preloadHints(manifest, '/')
        .split('\n')
        .map((line) => line.trim()),
    ).toEqual([
      '<link rel="preload" as="fetch" crossorigin href="/api/v3/session">',
      '<link rel="modulepreload" crossorigin href="/assets/RolesPage-b2.js">',
      '<link rel="modulepreload" crossorigin href="/assets/cards-c3.js">',
      '<link rel="modulepreload" crossorigin href="/assets/select-d4.js">',
      '<link rel="preload" as="style" crossorigin href="/assets/RolesPage-b2.css">',
      '<link rel="preload" as="style" crossorigin href="/assets/cards-c3.css">',
      '<link rel="preload" as="fetch" crossorigin href="/api/v3/roles/eligible">',
    ]);
  });

  it('gives the resources page its chunks and no role list; other pages the session call only', () => {
    const resources = preloadHints(manifest, '/resources');
    expect(resources).toContain('/assets/ResourcesPage-e5.js');
    expect(resources).not.toContain('RolesPage');
    expect(resources).not.toContain('/api/v3/roles/eligible');
    expect(preloadHints(manifest, '/requests')).toBe(
      '<link rel="preload" as="fetch" crossorigin href="/api/v3/session">',
    );
  });

  it('leaves out a page whose chunk the manifest does not have, and goes just before </head>', () => {
    expect(preloadHints({}, '/')).not.toContain('modulepreload');
    expect(withPreloadHints('<html><head><title>R</title></head><body></body></html>', '<link x>')).toBe(
      '<html><head><title>R</title>  <link x>\n  </head><body></body></html>',
    );
    expect(withPreloadHints('<html><body></body></html>', '<link x>')).toBe('<html><body></body></html>');
  });
});
