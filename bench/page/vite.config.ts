/**
 * Builds the bench page (bench/page/index.html + its module worker) into
 * bench/.page-dist (git-ignored; not under node_modules, which checkouts may share). Same worker and asset settings as
 * the app's vite.config.ts (relative base, ES module worker, wasm binaries
 * served by the page itself).
 */
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export const BENCH_PAGE_OUT = here('../.page-dist');

export default defineConfig({
  root: here('.'),
  base: './',
  logLevel: 'warn',
  publicDir: false,
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    outDir: BENCH_PAGE_OUT,
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 4000,
    rollupOptions: { input: here('./index.html') },
  },
});
