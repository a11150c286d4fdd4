/**
 * The service worker that lets the built app work offline after its first
 * load, generated at build time with the list of every file of the build.
 *
 * Written here rather than with a PWA plugin: the whole job is one precache of
 * a fixed file list and a cache-first fetch handler (about 30 lines), and the
 * plugins pull in a large build-time dependency tree for it.
 */

/** The source of sw.js: precache `files` under a cache named by `version`. */
export function serviceWorkerSource(files: readonly string[], version: string): string {
  return `// gradscope service worker (generated at build time)
const CACHE = ${JSON.stringify(`gradscope-${version}`)};
const FILES = ${JSON.stringify(files)};
// Servers may send Vary (vite preview sends Vary: Origin, and a module script's
// request carries an Origin the precache request did not): match on the URL alone.
const MATCH = { ignoreSearch: true, ignoreVary: true };

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('gradscope-') && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET' || new URL(req.url).origin !== self.location.origin) return;
  if (req.mode === 'navigate') {
    // The page itself: the network first (a new version), the cached copy offline.
    event.respondWith(fetch(req).catch(() => caches.match('./', MATCH).then((r) => r || caches.match('index.html', MATCH))));
    return;
  }
  // Build files have content hashes in their names: the cached copy is the right one.
  event.respondWith(caches.match(req, MATCH).then((r) => r || fetch(req)));
});
`;
}
