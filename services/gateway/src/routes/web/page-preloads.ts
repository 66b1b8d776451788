/** One chunk of Vite's build manifest (`build.manifest`), keyed by its source path. */
export interface ManifestChunk {
  file: string;
  imports?: string[];
  css?: string[];
  isEntry?: boolean;
}
export type ViteManifest = Record<string, ManifestChunk>;

/** Asked for by every page at once: who is signed in. */
const SESSION_API = '/api/v3/session';

/**
 * What a page path needs before it can draw, besides the entry script index.html already names: the
 * page's own chunk (with the chunks and CSS it imports) and the API call its first view waits for.
 * Paths not listed get the session call only.
 */
export const PAGE_PRELOADS: Readonly<Record<string, { source: string; fetches: readonly string[] }>> = {
  '/': { source: 'src/pages/RolesPage.tsx', fetches: ['/api/v3/roles/eligible'] },
  '/resources': { source: 'src/pages/ResourcesPage.tsx', fetches: [] },
  '/policies': { source: 'src/pages/ResourcesPage.tsx', fetches: [] },
};

/**
 * `<link>` hints that let the browser fetch a page's chunks and first API answers while it is still
 * downloading and running the entry script. Without them each waits for the one before: the entry
 * runs, asks who is signed in, the router then asks for the page's chunk, and the page, once running,
 * for its data. The fetch hints match the app's own `fetch` (same URL, same-origin credentials), so
 * the browser hands it the preloaded answer instead of asking again.
 */
export function preloadHints(manifest: ViteManifest, path: string): string {
  const tags = [fetchHint(SESSION_API)];
  const page = PAGE_PRELOADS[path];
  if (page) {
    const files = new Set<string>();
    const css = new Set<string>();
    const visit = (key: string) => {
      const chunk = manifest[key];
      // The entry is already loading (index.html names it); a chunk is visited once.
      if (!chunk || chunk.isEntry || files.has(chunk.file)) return;
      files.add(chunk.file);
      for (const sheet of chunk.css ?? []) css.add(sheet);
      for (const imported of chunk.imports ?? []) visit(imported);
    };
    visit(page.source);
    for (const file of files) tags.push(`<link rel="modulepreload" crossorigin href="/${file}">`);
    for (const sheet of css) tags.push(`<link rel="preload" as="style" crossorigin href="/${sheet}">`);
    for (const api of page.fetches) tags.push(fetchHint(api));
  }
  return tags.join('\n    ');
}

const fetchHint = (url: string) => `<link rel="preload" as="fetch" crossorigin href="${url}">`;

/** index.html with the hints of a page path, just before `</head>`. */
export function withPreloadHints(index: string, hints: string): string {
  const at = index.indexOf('</head>');
  return at < 0 ? index : `${index.slice(0, at)}  ${hints}\n  ${index.slice(at)}`;
}
