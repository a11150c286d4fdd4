/**
 * Backend selection for the training worker (a module Web Worker).
 *
 * Order: webgpu -> webgl -> wasm -> cpu. Each candidate is feature-detected,
 * its package is loaded on demand (dynamic `import()`, so the webgl/wasm code is
 * fetched only when needed), `tf.setBackend` is called, and a tiny op is read
 * back with `await data()` as a smoke test before the backend is declared usable.
 * Every attempt is reported with the reason it failed, so the UI can say why
 * it is not running on WebGPU.
 *
 * Worker-safe: no DOM APIs (compiles under lib ["ES2022", "WebWorker"]).
 * Never calls `dataSync` (on webgpu in tfjs 4.22 it needs OffscreenCanvas).
 *
 * The wasm binaries are served by the app itself: they are imported with Vite's
 * `?url` suffix, so the build copies them into its assets (hashed names) and
 * `setWasmPaths` receives a mapping to those URLs. Nothing is fetched from a CDN.
 */
import * as tf from '@tensorflow/tfjs-core';
import { estimateRun } from '../engine/estimate.ts';
import { BACKEND_ORDER, autoPlan, excludedFor, isBackendName, type BackendAttempt, type BackendChoice, type BackendName } from '../engine/backends.ts';
import { rankBackends, type BackendSpeed } from '../engine/backendSpeed.ts';
import type { RunConfig } from '../engine/config.ts';
import wasmUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

export type WasmBinaryName =
  | 'tfjs-backend-wasm.wasm'
  | 'tfjs-backend-wasm-simd.wasm'
  | 'tfjs-backend-wasm-threaded-simd.wasm';

/** Either a folder prefix ending in '/' or one URL per binary. */
export type WasmPaths = string | Record<WasmBinaryName, string>;

/**
 * The URLs of the wasm binaries as emitted by the Vite build of the importing
 * bundle (absolute URLs, resolved against this module's URL so they also work
 * with `base: './'` and inside a worker).
 */
export const defaultWasmPaths: Record<WasmBinaryName, string> = {
  'tfjs-backend-wasm.wasm': absolutize(wasmUrl),
  'tfjs-backend-wasm-simd.wasm': absolutize(wasmSimdUrl),
  'tfjs-backend-wasm-threaded-simd.wasm': absolutize(wasmThreadedSimdUrl),
};

function absolutize(url: string): string {
  try {
    return new URL(url, import.meta.url).href;
  } catch {
    return url;
  }
}

export interface SelectBackendOptions {
  /** Try this backend first (and alone if it works); on failure fall back in order. */
  force?: BackendName | 'auto';
  /** The order to try the backends in when nothing is forced (default BACKEND_ORDER). */
  order?: readonly BackendName[];
  /** Where the wasm binaries are served; default: the URLs bundled by Vite. */
  wasmPaths?: WasmPaths;
  /** Treat these backends as unavailable (for tests): reason "disabled by request". */
  disable?: BackendName[];
  /** Backends that cannot be used for this run, with the reason (e.g. wasm for a conv net). */
  exclude?: Partial<Record<BackendName, string>>;
  /** Give up on one backend after this long (requestAdapter can hang on some drivers). */
  timeoutMs?: number;
  /**
   * Allow the multi-threaded wasm build (default false). tfjs 4.22 starts its
   * pthread workers from `factory.toString()` put in a Blob; once a bundler
   * (Vite/rolldown) has wrapped and renamed that factory the string refers to
   * variables that do not exist in the Blob ("ReferenceError: e is not defined"
   * in every pthread worker) and the backend never finishes initializing. It
   * only matters on crossOriginIsolated pages (COOP/COEP), where tfjs would
   * otherwise pick the threaded build; the single-threaded SIMD build is used instead.
   */
  wasmThreads?: boolean;
  /**
   * Start every backend in order instead of stopping at the first that works
   * (for the measured "auto" choice); `backend` is still the first that works.
   */
  all?: boolean;
}

export interface SelectBackendResult {
  backend: BackendName;
  attempts: BackendAttempt[];
}

class BackendUnavailable extends Error {}

const loaded = new Set<BackendName>();
let wasmPathsSet = false;

/** Imports a backend's package (once) so that tf.setBackend can find it. */
export async function loadBackendPackage(name: BackendName, opts: SelectBackendOptions = {}): Promise<void> {
  if (loaded.has(name)) return;
  switch (name) {
    case 'webgpu':
      await import('@tensorflow/tfjs-backend-webgpu');
      break;
    case 'webgl':
      await import('@tensorflow/tfjs-backend-webgl');
      break;
    case 'wasm': {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      if (!opts.wasmThreads) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      if (!wasmPathsSet) {
        wasm.setWasmPaths(opts.wasmPaths ?? defaultWasmPaths);
        wasmPathsSet = true;
      }
      break;
    }
    case 'cpu':
      await import('@tensorflow/tfjs-backend-cpu');
      break;
  }
  loaded.add(name);
}

/** Feature detection that gives a readable reason before tfjs is asked. */
async function precheck(name: BackendName): Promise<string | undefined> {
  switch (name) {
    case 'webgpu': {
      const gpu = (navigator as { gpu?: GPU }).gpu;
      if (!gpu) {
        return 'WebGPU: not supported by this browser';
      }
      let adapter: GPUAdapter | null;
      try {
        adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
      } catch (e) {
        throw new BackendUnavailable(`WebGPU: requestAdapter failed: ${message(e)}`);
      }
      if (!adapter) return 'WebGPU: no adapter';
      adapterInfo = describeAdapter(adapter);
      return undefined;
    }
    case 'webgl': {
      if (typeof OffscreenCanvas === 'undefined') {
        return 'WebGL: OffscreenCanvas is not available in this worker';
      }
      let gl: WebGL2RenderingContext | null;
      try {
        gl = new OffscreenCanvas(1, 1).getContext('webgl2');
      } catch (e) {
        return `WebGL: creating a WebGL2 context on OffscreenCanvas threw: ${message(e)}`;
      }
      if (!gl) {
        return 'WebGL: no WebGL2 context on OffscreenCanvas (GPU unavailable or blocklisted)';
      }
      gl.getExtension('WEBGL_lose_context')?.loseContext();
      return undefined;
    }
    case 'wasm':
      if (typeof WebAssembly !== 'object') return 'WASM: WebAssembly is not available';
      return undefined;
    case 'cpu':
      return undefined;
  }
}

let adapterInfo: string | undefined;

function describeAdapter(adapter: GPUAdapter): string | undefined {
  const info = (adapter as GPUAdapter & { info?: GPUAdapterInfo }).info;
  if (!info) return undefined;
  const parts = [info.vendor, info.architecture, info.device, info.description].filter(
    (s) => typeof s === 'string' && s.length > 0,
  );
  return parts.length ? parts.join(' / ') : undefined;
}

function message(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (e && typeof e === 'object' && 'message' in e) return String((e as { message: unknown }).message);
  return String(e);
}

function label(name: BackendName): string {
  return { webgpu: 'WebGPU', webgl: 'WebGL', wasm: 'WASM', cpu: 'CPU' }[name];
}

/**
 * tfjs swallows a backend's init error and only logs it with console.warn
 * (not at all in prod mode); capture those lines to report the real cause.
 */
async function setBackendCapturingWarnings(name: BackendName): Promise<{ ok: boolean; warnings: string[] }> {
  const warnings: string[] = [];
  const original = console.warn;
  console.warn = (...args: unknown[]) => {
    warnings.push(args.map((a) => (a instanceof Error ? a.message : String(a))).join(' '));
    original.apply(console, args);
  };
  try {
    const ok = await tf.setBackend(name);
    return { ok, warnings };
  } finally {
    console.warn = original;
  }
}

function initFailureReason(name: BackendName, warnings: string[]): string {
  // warnings[0] is "Initialization of backend X failed", then the error's stack or message.
  const detail = warnings
    .filter((w) => !/^Initialization of backend/.test(w))
    .map((w) => w.split('\n')[0].trim())
    .find((w) => w.length > 0);
  return `${label(name)}: initialization failed${detail ? `: ${detail}` : ''}`;
}

async function smokeTest(): Promise<void> {
  const a = tf.tensor2d([1, 2, 3, 4], [2, 2]);
  const s = tf.tidy(() => tf.sum(tf.matMul(a, a)));
  try {
    const v = await s.data();
    // [[1,2],[3,4]]^2 = [[7,10],[15,22]], sum 54
    if (!(Math.abs(v[0] - 54) < 1e-3)) {
      throw new Error(`expected 54, got ${v[0]}`);
    }
  } finally {
    a.dispose();
    s.dispose();
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  if (!(ms > 0) || !Number.isFinite(ms)) return p;
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new BackendUnavailable(`${what}: timed out after ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

async function tryBackend(name: BackendName, opts: SelectBackendOptions): Promise<BackendAttempt> {
  const t0 = performance.now();
  const done = (a: Omit<BackendAttempt, 'backend' | 'ms'>): BackendAttempt => ({
    backend: name,
    ...a,
    ms: Math.round(performance.now() - t0),
  });
  const excluded = opts.exclude?.[name];
  if (excluded) return done({ ok: false, reason: `${label(name)}: ${excluded}` });
  if (opts.disable?.includes(name)) {
    return done({ ok: false, reason: 'disabled by request' });
  }
  const attempt = async (): Promise<BackendAttempt> => {
    const pre = await precheck(name);
    if (pre) return done({ ok: false, reason: pre });
    try {
      await loadBackendPackage(name, opts);
    } catch (e) {
      return done({ ok: false, reason: `${label(name)}: loading the backend package failed: ${message(e)}` });
    }
    if (tf.findBackendFactory(name) == null) {
      return done({ ok: false, reason: `${label(name)}: backend is not registered in this context` });
    }
    let set: { ok: boolean; warnings: string[] };
    try {
      set = await setBackendCapturingWarnings(name);
    } catch (e) {
      return done({ ok: false, reason: `${label(name)}: tf.setBackend threw: ${message(e)}` });
    }
    if (!set.ok) return done({ ok: false, reason: initFailureReason(name, set.warnings) });
    try {
      await tf.ready();
      await smokeTest();
    } catch (e) {
      // Drop the half-working backend (frees its GPU device/context); it is not retried.
      try {
        tf.removeBackend(name);
      } catch {
        /* ignore */
      }
      return done({ ok: false, reason: `${label(name)}: smoke test failed: ${message(e)}` });
    }
    return done({ ok: true, info: successInfo(name) });
  };
  try {
    return await withTimeout(attempt(), opts.timeoutMs ?? 60_000, label(name));
  } catch (e) {
    return done({ ok: false, reason: message(e) });
  }
}

function successInfo(name: BackendName): string | undefined {
  if (name === 'webgpu') return adapterInfo;
  if (name === 'webgl') {
    const v = tf.env().getNumber('WEBGL_VERSION');
    return `WebGL ${v}`;
  }
  if (name === 'wasm') {
    const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
    const threads = tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT');
    return `simd=${simd} threads=${threads}`;
  }
  return undefined;
}

/**
 * Picks the first backend that initializes and passes a smoke test.
 * With `force`, that backend is tried first and alone; if it fails, the
 * failure is reported in `attempts` and the normal order follows. With `all`,
 * every backend is started (and reported); the first that works is set.
 * Throws only if not even the cpu backend works.
 */
export async function selectBackend(opts: SelectBackendOptions = {}): Promise<SelectBackendResult> {
  const forced = opts.force && opts.force !== 'auto' ? opts.force : undefined;
  if (forced !== undefined && !isBackendName(forced)) {
    throw new Error(`unknown backend "${String(forced)}"; expected one of ${BACKEND_ORDER.join(', ')} or auto`);
  }
  const base = opts.order ?? BACKEND_ORDER;
  const order = forced ? [forced, ...base.filter((b) => b !== forced)] : [...base];
  const attempts: BackendAttempt[] = [];
  for (const name of order) {
    const a = await tryBackend(name, opts);
    attempts.push(a);
    if (a.ok && !opts.all) return { backend: name, attempts };
  }
  const first = attempts.find((a) => a.ok);
  if (first) {
    await tf.setBackend(first.backend);
    return { backend: first.backend, attempts };
  }
  throw new Error(
    `no TensorFlow.js backend could be started: ${attempts.map((a) => `${a.backend}: ${a.reason}`).join('; ')}`,
  );
}

/** The order in which "fastest" measures the backends that started: CPU backends first. */
export const MEASURE_ORDER: readonly BackendName[] = ['wasm', 'cpu', 'webgl', 'webgpu'];

export interface BackendSetup {
  backend: BackendName;
  attempts: BackendAttempt[];
  /** Why a better backend was not used ('' when the first choice started). */
  fallbackReason: string;
  /** With "auto": why the backends were tried in this order (engine/backends.ts autoPlan). */
  plan?: string;
  /** With "fastest": steps/s of the run's model on each backend that started, fastest first. */
  speeds?: BackendSpeed[];
  /**
   * Warm start (autoPlan): the GPU backend that started and is warmed up and timed
   * while the run trains on `backend`, a CPU backend (worker/warmup.ts).
   */
  warm?: BackendName;
}

/**
 * Starts the backend a run asked for: with "auto", the first that starts in
 * the order that suits the model's size (autoPlan: small MLPs on a CPU backend,
 * conv and large nets on a GPU first); a forced one first, then the usual
 * order; never one that cannot train the run's model; with
 * "fastest", every backend that starts is timed on the run's own model
 * (CPU backends first: a GPU backend whose first step is cut short keeps
 * computing for a while and would slow the others' measurement).
 */
export async function setupBackend(choice: BackendChoice, cfg: RunConfig, disable: BackendName[] = []): Promise<BackendSetup> {
  const measure = choice === 'fastest';
  const plan = choice === 'auto' ? autoPlan(cfg.model.arch, estimateRun(cfg).flopsPerStep) : undefined;
  const r = await selectBackend({
    force: choice === 'fastest' ? 'auto' : choice,
    order: plan?.order,
    disable,
    exclude: excludedFor(cfg.model.arch),
    all: measure,
  });
  tf.enableProdMode();
  let backend = r.backend;
  let speeds: BackendSpeed[] | undefined;
  const usable = r.attempts.filter((a) => a.ok).map((a) => a.backend);
  if (measure && usable.length > 1) {
    const order = [...usable].sort((a, b) => MEASURE_ORDER.indexOf(a) - MEASURE_ORDER.indexOf(b));
    speeds = await rankBackends(cfg, order, (b) => tf.setBackend(b));
    if (speeds[0].stepsPerSec > 0 && isBackendName(speeds[0].backend)) backend = speeds[0].backend;
    await tf.setBackend(backend);
  }
  const first = r.attempts[0];
  const fallbackReason = first && !first.ok ? r.attempts.filter((a) => !a.ok).map((a) => a.reason ?? a.backend).join('; ') : '';
  if (plan?.warmStart && (backend === 'webgpu' || backend === 'webgl')) {
    // Warm start: the run trains on a CPU backend at once; the GPU one is warmed up beside it.
    const cpuOrder = [...new Set<BackendName>([plan.warmStart, 'cpu'])];
    const c = await selectBackend({ order: cpuOrder, disable, exclude: excludedFor(cfg.model.arch) });
    if (c.backend === 'wasm' || c.backend === 'cpu') {
      return { backend: c.backend, attempts: [...r.attempts, ...c.attempts], fallbackReason, plan: plan.reason, warm: backend };
    }
    await tf.setBackend(backend);
  }
  return { backend, attempts: r.attempts, fallbackReason, speeds, plan: plan?.reason };
}
