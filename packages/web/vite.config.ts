import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

const fontDir = join(dirname(fileURLToPath(import.meta.url)), '.fonts');

/**
 * Cloudscape's global styles carry their Open Sans faces as base64 data: URLs, about 600 KB of CSS the
 * browser must parse before it draws anything, every face whether used or not. This writes each face to
 * a file, which the build then hashes and bundles like any asset (still nothing from a CDN): the CSS
 * shrinks to its rules, and the browser fetches only the faces a page uses, showing text meanwhile.
 */
function extractInlineFonts(): Plugin {
  return {
    name: 'rolecall:extract-inline-fonts',
    enforce: 'pre',
    transform(code, id) {
      if (!id.includes('@cloudscape-design/global-styles') || !id.endsWith('.css')) return null;
      mkdirSync(fontDir, { recursive: true });
      return code.replace(/@font-face\s*\{([^}]*)\}/g, (block, body: string) => {
        const data = /url\('data:font\/woff2;base64,([A-Za-z0-9+/=]+)'\)/.exec(body);
        if (!data?.[1]) return block;
        const weight = /font-weight:\s*(\d+)/.exec(body)?.[1] ?? '400';
        const style = /font-style:\s*(\w+)/.exec(body)?.[1] ?? 'normal';
        const file = join(fontDir, `open-sans-${weight}-${style}.woff2`);
        writeFileSync(file, Buffer.from(data[1], 'base64'));
        const url = relative(dirname(id), file).split('\\').join('/');
        return `@font-face {${body.replace(data[0], `url('${url}') format('woff2')`)}  font-display: swap;\n}`;
      });
    },
  };
}

// The gateway serves dist/ at /: hashed files under /assets get a year-long cache, index.html none.
export default defineConfig({
  plugins: [extractInlineFonts(), react()],
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    // Files the gateway serves precompressed (scripts/precompress.mjs); nothing inlined as data: URLs.
    assetsInlineLimit: 0,
    sourcemap: false,
    // dist/.vite/manifest.json: the gateway reads it to preload each page's chunks (page-preloads.ts).
    manifest: true,
    chunkSizeWarningLimit: 1500,
  },
  server: {
    // `npm run dev -w @rolecall/web` against a running demo gateway.
    proxy: {
      '/api': 'http://127.0.0.1:8081',
      '/noauth': 'http://127.0.0.1:8081',
      '/demo': 'http://127.0.0.1:8081',
    },
  },
});
