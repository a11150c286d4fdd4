/**
 * Builds the backend probe page (tests/e2e/fixtures/probe.html + its module
 * worker) into tests/e2e/.probe-dist, for the browser tests in probe.test.mjs.
 * Same worker/asset settings as the app's vite.config.ts (relative base, ES
 * module worker), so the probe exercises the way the app serves its wasm files.
 */
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here('./fixtures'),
  base: './',
  logLevel: 'warn',
  publicDir: false,
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    outDir: here('./.probe-dist'),
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 4000,
    rollupOptions: { input: here('./fixtures/probe.html') },
  },
});
