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
export interface PreloadHints {
  /** The API calls: before the entry script, so they are asked for first. */
  fetches: string[];
  /** The page's chunks and sheets: after the entry script, which everything else waits for. */
  assets: string[];
}

export function preloadHints(manifest: ViteManifest, path: string): PreloadHints {
  // HTTP/1.1 gives a page six connections. Hinted after two dozen chunks and sheets, the role list waited
  // about 400 ms for one (BENCH_UI_PROFILE); hinted before the entry script, the chunks delayed the entry
  // itself. So: the API calls, the entry (index.html's own tags), then the page's chunks.
  const page = PAGE_PRELOADS[path];
  const fetches = [fetchHint(SESSION_API), ...(page?.fetches ?? []).map(fetchHint)];
  const assets: string[] = [];
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
    for (const file of files) assets.push(`<link rel="modulepreload" crossorigin href="/${file}">`);
    for (const sheet of css) assets.push(`<link rel="preload" as="style" crossorigin href="/${sheet}">`);
  }
  return { fetches, assets };
}

const fetchHint = (url: string) => `<link rel="preload" as="fetch" crossorigin href="${url}">`;

/**
 * index.html with a page path's hints: the fetches before its first script or stylesheet, the assets just
 * before `</head>` (after the entry's own tags).
 */
export function withPreloadHints(index: string, hints: PreloadHints): string {
  const end = index.indexOf('</head>');
  if (end < 0) return index;
  const head = index.slice(0, end);
  const firstAsset = [head.indexOf('<script'), head.indexOf('<link rel="stylesheet"')]
    .filter((at) => at >= 0)
    .reduce((a, b) => Math.min(a, b), end);
  const early = hints.fetches.map((tag) => `${tag}\n    `).join('');
  const late = hints.assets.map((tag) => `  ${tag}\n  `).join('');
  return `${index.slice(0, firstAsset)}${early}${index.slice(firstAsset, end)}${late}${index.slice(end)}`;
}
