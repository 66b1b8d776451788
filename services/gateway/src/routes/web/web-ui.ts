import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { htmlPage } from '../../domain/html.js';
import type { GatewayApp } from '../deps.js';
import { preloadHints, withPreloadHints, type ViteManifest } from './page-preloads.js';

/**
 * The single-page app's own paths, ConsoleMe's kept so bookmarks survive a migration. Each answers
 * index.html and the app's router draws the page; none of them is an API path. The Weep challenge page
 * (`/challenge_validator/{token}`) is served by its own route, which hands browsers the app too.
 */
export const PAGE_PATHS = [
  '/',
  '/signin',
  '/role/*',
  '/resources',
  '/policies',
  '/policies/*',
  '/selfservice',
  '/requests',
  '/requests/*',
  '/admin',
  '/admin/*',
  '/config',
] as const;

/** The built UI, or a note that there is none (an API-only deployment, or a checkout not yet built). */
export interface WebUi {
  available: boolean;
  /**
   * Sends index.html (never cached: it names the current hashed assets); for a page path, with the hints
   * that preload what that page needs first (see page-preloads.ts).
   */
  sendIndex(reply: FastifyReply, status?: number, pagePath?: string): FastifyReply;
}

export function createWebUi(root: string | undefined): WebUi {
  const indexPath = root === undefined ? undefined : join(root, 'index.html');
  // Read once: a new build brings new hashed files, which are listed at start-up anyway.
  const index =
    indexPath !== undefined && existsSync(indexPath)
      ? readFileSync(indexPath, 'utf8')
      : htmlPage(
          'Rolecall',
          '<p>The web UI is not built on this server. Run <code>npm run build</code> and restart the ' +
            'gateway; the HTTP API is documented at <a href="/docs">/docs</a>.</p>',
        );
  const manifest = root === undefined ? undefined : readManifest(join(root, '.vite', 'manifest.json'));
  // One variant per page path, made once: the manifest is as fixed as the files it names.
  const variants = new Map<string, string>();
  const indexFor = (pagePath: string | undefined) => {
    if (!manifest || pagePath === undefined) return index;
    let variant = variants.get(pagePath);
    if (variant === undefined) {
      variant = withPreloadHints(index, preloadHints(manifest, pagePath));
      variants.set(pagePath, variant);
    }
    return variant;
  };
  return {
    available: indexPath !== undefined && existsSync(indexPath),
    sendIndex(reply, status = 200, pagePath) {
      return reply
        .status(status)
        .header('cache-control', 'no-cache')
        .type('text/html; charset=utf-8')
        .send(indexFor(pagePath));
    },
  };
}

/** The build's manifest, when the build wrote one (`build.manifest` in packages/web/vite.config.ts). */
function readManifest(path: string): ViteManifest | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as ViteManifest;
  } catch {
    // A damaged manifest costs the hints only: the page still loads, one request after another.
    return undefined;
  }
}

/** Navigations ask for HTML; fetch, curl and Weep ask for JSON or anything (`*\/*`). */
export const wantsHtml = (request: FastifyRequest): boolean =>
  (request.headers.accept ?? '').includes('text/html');

const HASHED_ASSET = /[/\\]assets[/\\]/;

/**
 * Serves the built UI: hashed files under /assets with a year-long immutable cache, their gzip and
 * brotli copies made at build time, and index.html at every page path. Files are listed at start-up
 * (no wildcard route), so nothing here can shadow an API route.
 */
export async function registerWebUi(app: GatewayApp, webUi: WebUi, root: string | undefined): Promise<void> {
  await app.register(async (scope) => {
    // Everything here is public: the app asks GET /api/v3/session who is signed in and shows sign-in.
    scope.addHook('onRoute', (route) => {
      route.config = { ...route.config, access: 'public' };
    });
    if (webUi.available && root !== undefined) {
      await scope.register(fastifyStatic, {
        root,
        prefix: '/',
        wildcard: false,
        index: false,
        decorateReply: false,
        preCompressed: true,
        cacheControl: false,
        globIgnore: ['**/*.gz', '**/*.br', '**/index.html', '**/.vite/**'],
        setHeaders: (reply, path) => {
          reply.header(
            'cache-control',
            HASHED_ASSET.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache',
          );
        },
      });
    }
    for (const path of PAGE_PATHS) {
      scope.get(path, { schema: { hide: true } }, (_request, reply) => webUi.sendIndex(reply, 200, path));
    }
  });
}
