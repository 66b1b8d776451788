import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The gateway serves dist/ at /: hashed files under /assets get a year-long cache, index.html none.
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    // Files the gateway serves precompressed (scripts/precompress.mjs); no inlined data: URLs for fonts.
    assetsInlineLimit: 0,
    sourcemap: false,
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
