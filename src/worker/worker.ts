/// <reference lib="webworker" />
/**
 * The training worker: a thin host that picks a tfjs backend, runs the engine's
 * Trainer and posts batched, packed records. One worker trains one run, so a
 * run that crashes or diverges cannot stop or corrupt another.
 */
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import * as tf from '../engine/tf.ts';
import { Trainer } from '../engine/trainer.ts';
import { needsReset, type RunConfig } from '../engine/config.ts';
import { ROW } from '../engine/records.ts';
import { rankBackends } from '../engine/backendSpeed.ts';
import { selectBackend, backendCanTrainConv } from './backend.ts';
import {
  assertNever,
  WIRE_EXTRA,
  type BackendName,
  type FromWorker,
  type RunStatus,
  type ToWorker,
  type BackendChoice,
  type BackendSpeed,
} from '../shared/protocol.ts';

declare const self: DedicatedWorkerGlobalScope;

/** At most this many record batches per second. */
const POST_INTERVAL_MS = 33;
/** Target wall time of one chunk of steps between readbacks. */
const CHUNK_TARGET_MS = 40;
const MAX_CHUNK = 64;
/** Rows kept per post before the worker starts sending only every k-th step. */
const MAX_ROWS_PER_POST = 4096;
/** History budget (floats) for exports; past it the history is thinned 2:1. */
const HISTORY_BUDGET_FLOATS = 8_000_000;
const BOUNDARY_INTERVAL_MS = 500;
const BOUNDARY_N = 40;

let gen = 0;
let runIndex = 0;
let backend: BackendName | null = null;
let backendReady: Promise<void> | null = null;
let config: RunConfig | null = null;
let trainer: Trainer | null = null;
let status: RunStatus = 'idle';
let stopAt = 0;
let chunk = 4;
/** Fraction of wall time spent computing on CPU backends (StartMsg.cpuShare). */
let cpuShare = 1;
/** StartMsg.background: the share applies to every backend. */
let background = false;
/** Ends the loop's current rest early (set while it rests). */
let wake: (() => void) | null = null;
let loopActive = false;
let divergedAt: number | undefined;
let divergedReason: string | undefined;
let injectFault = false;

// Records waiting to be posted.
let pending: number[] = [];
let pendingCount = 0;
let lastPost = 0;
let lastBoundary = 0;
let stride = 1;

// Full history for exports (thinned when over budget).
let history: Float32Array[] = [];
let historyFloats = 0;
let historyStride = 1;
let historyRowsSeen = 0;

// Steps/s over a sliding window.
let rateWindow: { t: number; step: number }[] = [];

function post(msg: FromWorker, transfer: Transferable[] = []): void {
  self.postMessage(msg, transfer);
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function stepsPerSec(): number {
  if (rateWindow.length < 2) return 0;
  const a = rateWindow[0];
  const b = rateWindow[rateWindow.length - 1];
  return b.t > a.t ? ((b.step - a.step) * 1000) / (b.t - a.t) : 0;
}

function postStatus(): void {
  post({
    type: 'status',
    gen,
    status,
    step: trainer?.step ?? 0,
    stepsPerSec: status === 'training' ? stepsPerSec() : 0,
    divergedAt,
    divergedReason,
    numTensors: tf.memory().numTensors,
  });
}

function flushRecords(): void {
  if (pendingCount === 0) return;
  const rows = new Float32Array(pending);
  post({ type: 'records', gen, rows, count: pendingCount, stride }, [rows.buffer]);
  pending = [];
  pendingCount = 0;
  lastPost = performance.now();
}

function resetBuffers(): void {
  pending = [];
  pendingCount = 0;
  stride = 1;
  history = [];
  historyFloats = 0;
  historyStride = 1;
  historyRowsSeen = 0;
  rateWindow = [];
  divergedAt = undefined;
  divergedReason = undefined;
}

function addToHistory(row: Float32Array): void {
  if (historyRowsSeen++ % historyStride !== 0) return;
  history.push(row);
  historyFloats += row.length;
  if (historyFloats > HISTORY_BUDGET_FLOATS) {
    history = history.filter((_, i) => i % 2 === 0);
    historyFloats = history.reduce((a, r) => a + r.length, 0);
    historyStride *= 2;
  }
}

function describeDivergence(t: Trainer, rows: Float32Array, offset: number): string {
  const fmt = (x: number) => (Number.isNaN(x) ? 'NaN' : Number.isFinite(x) ? x.toPrecision(3) : x > 0 ? 'Infinity' : '-Infinity');
  const loss = rows[offset + ROW.loss];
  const g = rows[offset + ROW.gradNorm];
  // The first layer (input → output) whose gradient norm is not finite, else the largest.
  let worst = -1;
  let worstVal = -Infinity;
  for (let l = 0; l < t.nLayers; l++) {
    const v = rows[offset + ROW.HEAD + l * ROW.PER_LAYER + ROW.lGrad];
    if (!Number.isFinite(v)) {
      worst = l;
      worstVal = v;
      break;
    }
    if (v > worstVal) {
      worst = l;
      worstVal = v;
    }
  }
  const layer = worst >= 0 ? ` in layer ${t.layerNames[worst]} (${fmt(worstVal)})` : '';
  return `loss ${fmt(loss)}, gradient norm ${fmt(g)}${layer}`;
}

/** Runs k steps, one readback; queues the records. Returns false if training must stop. */
async function runChunk(k: number): Promise<boolean> {
  const t = trainer!;
  if (injectFault) {
    injectFault = false;
    throw new Error('injected fault: exception inside a training step');
  }
  const t0 = performance.now();
  const { rows, firstStep, lrs } = await t.runStepsPacked(k);
  const dt = performance.now() - t0;
  if (t !== trainer) return false; // reset while the readback was in flight: drop
  // Adapt the chunk so one readback covers about CHUNK_TARGET_MS of work.
  const perStep = dt / k;
  chunk = Math.max(1, Math.min(MAX_CHUNK, Math.round(CHUNK_TARGET_MS / Math.max(perStep, 0.01))));

  const rl = t.rowLength;
  let stop = false;
  for (let i = 0; i < k; i++) {
    const off = i * rl;
    const wire = new Float32Array(rl + WIRE_EXTRA);
    wire[0] = firstStep + i;
    wire[1] = lrs[i];
    wire.set(rows.subarray(off, off + rl), WIRE_EXTRA);
    addToHistory(wire);
    if (pendingCount >= MAX_ROWS_PER_POST) {
      // The page is not keeping up: keep every 2nd row of what is waiting.
      const w = rl + WIRE_EXTRA;
      const thinned: number[] = [];
      for (let r = 0; r < pendingCount; r += 2) for (let j = 0; j < w; j++) thinned.push(pending[r * w + j]);
      pending = thinned;
      pendingCount = Math.ceil(pendingCount / 2);
      stride *= 2;
    }
    for (let j = 0; j < wire.length; j++) pending.push(wire[j]);
    pendingCount++;
    if (rows[off + ROW.status] === 3 && divergedAt === undefined) {
      divergedAt = firstStep + i;
      divergedReason = describeDivergence(t, rows, off);
      stop = true;
      // The records after the first diverged step in this chunk are still sent: they happened.
    }
  }
  const now = performance.now();
  rateWindow.push({ t: now, step: t.step });
  while (rateWindow.length > 2 && now - rateWindow[0].t > 1000) rateWindow.shift();
  return !stop;
}

async function maybeBoundary(force = false): Promise<void> {
  const t = trainer;
  if (!t || t.data.inputSize !== 2) return;
  const now = performance.now();
  if (!force && now - lastBoundary < BOUNDARY_INTERVAL_MS) return;
  lastBoundary = now;
  const myGen = gen;
  const probs = await t.predictGrid(BOUNDARY_N);
  if (myGen !== gen || t !== trainer) return;
  post({ type: 'boundary', gen, step: t.step, n: BOUNDARY_N, probs }, [probs.buffer]);
}

function reportStepError(e: unknown): void {
  status = 'error';
  flushRecords();
  post({ type: 'error', gen, kind: 'step', message: `training step failed: ${message(e)}`, recoverable: true });
  postStatus();
}

async function loop(): Promise<void> {
  if (loopActive) return;
  loopActive = true;
  const myGen = gen;
  try {
    while (status === 'training' && myGen === gen && trainer) {
      const k = Math.min(chunk, stopAt - trainer.step);
      if (k <= 0) {
        status = 'done';
        break;
      }
      let go: boolean;
      const tChunk = performance.now();
      try {
        go = await runChunk(k);
      } catch (e) {
        if (myGen === gen) reportStepError(e);
        return;
      }
      if (myGen !== gen) return;
      if (!go) status = 'diverged';
      else if (trainer.step >= stopAt) status = 'done';
      const now = performance.now();
      if (now - lastPost >= POST_INTERVAL_MS || status !== 'training') {
        flushRecords();
        postStatus();
      }
      await maybeBoundary(status !== 'training');
      // Let pause/reset messages in; on a CPU backend with a share below 1, rest
      // so that the busy fraction of this worker's time is cpuShare.
      const rest = background || backend === 'wasm' || backend === 'cpu' ? ((performance.now() - tChunk) * (1 - cpuShare)) / cpuShare : 0;
      await new Promise<void>((r) => {
        const timer = setTimeout(r, Math.min(background ? 2000 : 250, rest));
        // Any message from the page (shown again, pause, reset) ends the rest at once.
        wake = () => {
          clearTimeout(timer);
          r();
        };
      });
      wake = null;
    }
    if (myGen === gen) {
      flushRecords();
      postStatus();
    }
  } finally {
    loopActive = false;
  }
}

function buildTrainer(cfg: RunConfig): void {
  trainer?.dispose();
  trainer = null;
  resetBuffers();
  config = cfg;
  if (cfg.model.arch === 'cnn' && backend && !backendCanTrainConv(backend)) {
    throw new Error(`the ${backend} backend cannot train conv nets; choose another backend`);
  }
  trainer = new Trainer(cfg, { run: runIndex });
  stopAt = cfg.train.steps;
  chunk = 4;
  status = 'idle';
}

let deviceLost = false;

function reportDeviceLost(reason: string): void {
  if (deviceLost) return;
  deviceLost = true;
  status = 'error';
  post({
    type: 'error',
    gen,
    kind: 'device-lost',
    message: `The GPU device was lost (${reason}). Restart to continue on another backend.`,
    recoverable: true,
  });
  postStatus();
}

function watchDevice(): void {
  if (backend !== 'webgpu') return;
  const b = tf.backend() as unknown as { device?: GPUDevice };
  b.device?.lost.then((info) => reportDeviceLost(`${info.reason}${info.message ? `: ${info.message}` : ''}`));
}

async function init(msg: Extract<ToWorker, { type: 'init' }>): Promise<void> {
  gen = msg.gen;
  runIndex = msg.run;
  const choice: BackendChoice = msg.backend;
  const disable = [...(msg.disable ?? [])];
  // The wasm backend cannot train conv nets: do not pick it for a CNN.
  if (msg.config.model.arch === 'cnn' && !disable.includes('wasm')) disable.push('wasm');
  if (!backendReady) {
    backendReady = (async () => {
      const measure = choice === 'fastest';
      const r = await selectBackend({ force: measure ? 'auto' : choice, disable, all: measure });
      tf.enableProdMode();
      let chosen = r.backend;
      speeds = undefined;
      const usable = r.attempts.filter((a) => a.ok).map((a) => a.backend);
      if (measure && usable.length > 1) {
        // CPU backends first: a GPU backend whose first step is cut short keeps
        // computing for a while, and should not slow the others' measurement.
        const order = [...usable].sort((a, b) => MEASURE_ORDER.indexOf(a) - MEASURE_ORDER.indexOf(b));
        speeds = await rankBackends(msg.config, order, (b) => tf.setBackend(b));
        if (speeds[0].stepsPerSec > 0) chosen = speeds[0].backend as BackendName;
        await tf.setBackend(chosen);
      }
      backend = chosen;
      const first = r.attempts[0];
      attempts = r.attempts;
      fallbackReason = first && !first.ok ? r.attempts.filter((a) => !a.ok).map((a) => a.reason ?? a.backend).join('; ') : '';
      watchDevice();
    })();
  }
  try {
    await backendReady;
  } catch (e) {
    backendReady = null;
    post({ type: 'error', gen, kind: 'backend', message: message(e), recoverable: false });
    return;
  }
  rebuild(msg.config);
}

/** A fresh trainer at step 0 from the config, announced to the page. */
function rebuild(cfg: RunConfig): void {
  try {
    buildTrainer(cfg);
  } catch (e) {
    post({ type: 'error', gen, kind: 'config', message: message(e), recoverable: true });
    return;
  }
  sendReady();
  postStatus();
  void maybeBoundary(true);
}

let attempts: import('../shared/protocol.ts').BackendAttempt[] = [];
let fallbackReason = '';
let speeds: BackendSpeed[] | undefined;
/** The order in which "fastest" measures the backends that started. */
const MEASURE_ORDER: readonly BackendName[] = ['wasm', 'cpu', 'webgl', 'webgpu'];

function sendReady(): void {
  const t = trainer!;
  post({
    type: 'ready',
    gen,
    run: runIndex,
    backend: backend!,
    attempts,
    fallbackReason,
    speeds,
    layerNames: t.layerNames,
    paramCount: t.model.paramCount,
    inputShape: t.data.inputShape,
    nTrain: t.data.nTrain,
    nTest: t.data.nTest,
    rowLength: t.rowLength,
  });
}

async function stepOnce(): Promise<void> {
  if (!trainer || loopActive) return;
  if (status === 'diverged' || status === 'error') return;
  try {
    const go = await runChunk(1);
    status = !go ? 'diverged' : trainer.step >= stopAt ? 'done' : 'paused';
  } catch (e) {
    reportStepError(e);
    return;
  }
  flushRecords();
  postStatus();
  await maybeBoundary(true);
}

function sendHistory(requestId: number): void {
  const w = trainer ? trainer.rowLength + WIRE_EXTRA : 0;
  const rows = new Float32Array(history.length * w);
  history.forEach((r, i) => rows.set(r, i * w));
  post({ type: 'history', gen, requestId, rows, count: history.length, stride: historyStride }, [rows.buffer]);
}

async function handle(msg: ToWorker): Promise<void> {
  if (msg.type !== 'init' && msg.gen !== gen) return; // stale command
  switch (msg.type) {
    case 'init':
      await init(msg);
      break;
    case 'start':
      if (!trainer || status === 'diverged' || status === 'error') break;
      stopAt = msg.stopAt ?? config!.train.steps;
      cpuShare = msg.cpuShare !== undefined && msg.cpuShare > 0 && msg.cpuShare <= 1 ? msg.cpuShare : 1;
      background = msg.background === true;
      if (status === 'training') {
        // Already training: only the share changed.
        postStatus();
        break;
      }
      if (trainer.step >= stopAt) {
        status = 'done';
        postStatus();
        break;
      }
      status = 'training';
      rateWindow = [{ t: performance.now(), step: trainer.step }];
      postStatus();
      void loop();
      break;
    case 'pause':
      if (status === 'training') {
        status = 'paused';
        // The loop notices at its next chunk and flushes.
        if (!loopActive) postStatus();
      }
      break;
    case 'step-once':
      await stepOnce();
      break;
    case 'reset':
      gen = msg.gen;
      rebuild(msg.config);
      break;
    case 'update-config':
      if (!trainer || !config) break;
      if (needsReset(config, msg.config) || !trainer.updateConfig(msg.config)) {
        // A structural change: rebuild at step 0.
        rebuild(msg.config);
      } else {
        config = msg.config;
        if (status !== 'training') stopAt = msg.config.train.steps;
      }
      break;
    case 'export':
      sendHistory(msg.requestId);
      break;
    case 'dispose':
      status = 'idle';
      gen = -1;
      trainer?.dispose();
      trainer = null;
      break;
    case 'debug':
      if (msg.action === 'throw-in-step') injectFault = true;
      else if (msg.action === 'lose-device') {
        // Simulated loss: report it as the lost promise would, then really destroy the device.
        reportDeviceLost(`simulated loss on ${backend}`);
        const b = tf.backend() as unknown as { device?: GPUDevice };
        b.device?.destroy();
      } else if (msg.action === 'memory') {
        const m = tf.memory();
        post({ type: 'memory', gen, numTensors: m.numTensors, numBytes: m.numBytes });
      }
      break;
    default:
      assertNever(msg);
  }
}

// Messages are handled one at a time, in order.
let queue: Promise<void> = Promise.resolve();
self.onmessage = (ev: MessageEvent<ToWorker>) => {
  const msg = ev.data;
  wake?.();
  // Pause must act at once, not after a queued step.
  if (msg.type === 'pause' && msg.gen === gen && status === 'training') {
    status = 'paused';
    return;
  }
  queue = queue.then(() => handle(msg)).catch((e) => {
    post({ type: 'error', gen, kind: 'internal', message: message(e), recoverable: true });
  });
};

// After a lost device, tfjs's pending buffer mappings reject: they are part of the
// loss already reported, not new failures. Anything else is reported to the page.
self.onunhandledrejection = (ev: PromiseRejectionEvent) => {
  ev.preventDefault();
  const report = () => {
    if (!deviceLost) post({ type: 'error', gen, kind: 'internal', message: message(ev.reason), recoverable: true });
  };
  // The device's `lost` promise can settle after the rejections it causes.
  if (backend === 'webgpu') setTimeout(report, 500);
  else report();
};

self.onerror = (e) => {
  post({ type: 'error', gen, kind: 'internal', message: typeof e === 'string' ? e : (e as ErrorEvent).message, recoverable: true });
};
