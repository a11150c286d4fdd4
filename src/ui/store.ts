/**
 * The page's state: one zustand store made of typed slices.
 *  - experiment: the experiment being edited (always valid; mirrored in the URL)
 *  - runtime:    what each run's worker reports (status, step, backend, errors)
 *  - view:       layout and display options
 * High-rate metrics are not here: see metrics.ts.
 */
import { create, type StateCreator } from 'zustand';
import {
  MAX_RUNS,
  defaultExperiment,
  needsReset,
  parseRunConfig,
  type Experiment,
  type RunConfig,
} from '../engine/config.ts';
import type { BackendAttempt, BackendChoice, BackendName, BackendSpeed, RunStatus } from '../shared/protocol.ts';
import { RunClient } from './runClient.ts';
import { metrics } from './metrics.ts';
import { Pacer, type Speed } from './pacer.ts';
import { findPreset, presetById, presetExperiment } from './presets.ts';
import { estimateExperiment, resourceVerdict, type Verdict } from '../engine/estimate.ts';

export interface RunRuntime {
  status: RunStatus;
  step: number;
  stepsPerSec: number;
  backend?: BackendName;
  fallbackReason?: string;
  attempts?: BackendAttempt[];
  /** The "fastest" choice's measurement (ReadyMsg.speeds). */
  speeds?: BackendSpeed[];
  paramCount?: number;
  layerNames?: string[];
  divergedAt?: number;
  divergedReason?: string;
  error?: { kind: string; message: string; recoverable: boolean };
  numTensors?: number;
  /** Backends excluded after a failure (a lost GPU device). */
  disabled: BackendName[];
}

const emptyRuntime = (): RunRuntime => ({ status: 'idle', step: 0, stepsPerSec: 0, disabled: [] });

interface ExperimentSlice {
  experiment: Experiment;
  banner: string | null;
  setBanner(msg: string | null): void;
  /** Replaces a run's config; resets the run if the change needs a rebuild. */
  setRunConfig(i: number, cfg: RunConfig): void;
  /** Applies a partial edit, validated; returns an error message or null. */
  editRun(i: number, edit: (draft: RunConfig) => void): string | null;
  addRun(cfg?: RunConfig): void;
  duplicateRun(i: number): void;
  compareWithClipping(i: number): void;
  removeRun(i: number): void;
  loadExperiment(exp: Experiment): void;
  /** The preset last loaded (its note stays visible, marked edited once the experiment differs). */
  presetId: string | null;
  loadPreset(id: string): void;
  dismissPreset(): void;
}

interface RuntimeSlice {
  runtime: RunRuntime[];
  backendChoice: BackendChoice;
  setBackendChoice(b: BackendChoice): void;
  startAll(): void;
  pauseAll(): void;
  toggleAll(): void;
  stepAll(): void;
  resetAll(): void;
  restartRun(i: number): void;
  startRun(i: number): void;
  pauseRun(i: number): void;
  /** Steps per second ('max': the worker's own loop; a number: slow motion from the page). */
  speed: Speed;
  setSpeed(s: Speed): void;
}

export type Layout = 'columns' | 'overlay';

interface ViewSlice {
  layout: Layout;
  smoothing: number;
  logScale: boolean;
  showClipped: boolean;
  hiddenLayers: Record<string, boolean>;
  setView(p: Partial<Pick<ViewSlice, 'layout' | 'smoothing' | 'logScale' | 'showClipped'>>): void;
  toggleLayer(name: string): void;
}

export type State = ExperimentSlice & RuntimeSlice & ViewSlice;

let client: RunClient | null = null;
const pacer = new Pacer((run) => rc().stepOnce(run));
function rc(): RunClient {
  if (!client) {
    client = new RunClient({
      onReady: (run, m) =>
        patchRuntime(run, {
          backend: m.backend,
          fallbackReason: m.fallbackReason,
          attempts: m.attempts,
          speeds: m.speeds,
          paramCount: m.paramCount,
          layerNames: m.layerNames,
          error: undefined,
          divergedAt: undefined,
          divergedReason: undefined,
        }),
      onStatus: (run, m) => {
        const paced = pacer.onStatus(run, m.status, m.step);
        patchRuntime(run, {
          status: paced?.status ?? m.status,
          step: m.step,
          stepsPerSec: paced?.stepsPerSec ?? m.stepsPerSec,
          divergedAt: m.divergedAt,
          divergedReason: m.divergedReason,
          numTensors: m.numTensors,
        });
      },
      onError: (run, m) => patchRuntime(run, { error: { kind: m.kind, message: m.message, recoverable: m.recoverable }, status: 'error' }),
    });
  }
  return client;
}

export function runClient(): RunClient {
  return rc();
}

/**
 * The share of its time each run's worker may compute on a CPU backend: the
 * runs together leave one core to the page, so that drawing and input never
 * wait behind training (2 cores, 2 runs: each computes half of the time).
 */
export function cpuShare(nRuns: number, cores = typeof navigator !== 'undefined' ? navigator.hardwareConcurrency || 2 : 2): number {
  return Math.min(1, Math.max(0.25, (cores - 1) / Math.max(1, nRuns)));
}

/** Share of a hidden tab's runs: they keep training, slowly, and catch up on nothing when shown again. */
export const BACKGROUND_SHARE = 0.1;

function pageHidden(): boolean {
  return typeof document !== 'undefined' && document.visibilityState === 'hidden';
}

function shareOpts(nRuns: number): { cpuShare: number; background: boolean } {
  return pageHidden() ? { cpuShare: BACKGROUND_SHARE, background: true } : { cpuShare: cpuShare(nRuns), background: false };
}

/** Tells the training workers when the page is hidden or shown again. */
export function watchVisibility(): void {
  if (typeof document === 'undefined') return;
  document.addEventListener('visibilitychange', () => {
    const s = useStore.getState();
    if (s.speed !== 'max') return; // slow motion sends single steps from the page: nothing runs on its own
    s.runtime.forEach((rt, i) => {
      if (rt.status === 'training') rc().start(i, shareOpts(s.experiment.runs.length));
    });
  });
}

function patchRuntime(run: number, p: Partial<RunRuntime>): void {
  useStore.setState((s) => {
    if (run >= s.runtime.length) return s;
    const runtime = s.runtime.slice();
    runtime[run] = { ...runtime[run], ...p };
    return { runtime };
  });
}

function clone<T>(x: T): T {
  return JSON.parse(JSON.stringify(x)) as T;
}

/** Labels A, B, C, D for new runs. */
function nextLabel(exp: Experiment): string {
  const used = new Set(exp.runs.map((r) => r.label));
  for (const c of 'ABCDEFGH') if (!used.has(c)) return c;
  return `run ${exp.runs.length + 1}`;
}

/** Configs whose resource warning the user overrode ("Build it anyway"); an edit makes a new config. */
const forced = new WeakSet<RunConfig>();

/**
 * The resource verdict of run i, estimated before anything is allocated: on
 * runs 0..i together, so the run that would push the experiment past what a
 * tab can hold is the one refused.
 */
export function runVerdict(i: number, exp: Experiment = useStore.getState().experiment): Verdict {
  const cfg = exp.runs[i];
  if (!cfg) return { level: 'ok', message: '' };
  return resourceVerdict(estimateExperiment({ ...exp, runs: exp.runs.slice(0, i + 1) }), { force: forced.has(cfg) });
}

/**
 * Creates the run's worker, unless the config would need more memory than a
 * tab can hold: then nothing is allocated and the run shows why, with a button
 * to build it anyway.
 */
function spawn(i: number, cfg: RunConfig): void {
  const s = useStore.getState();
  const exp = s.experiment.runs[i] === cfg ? s.experiment : { ...s.experiment, runs: Object.assign(s.experiment.runs.slice(), { [i]: cfg }) };
  const v = runVerdict(i, exp);
  if (v.level === 'refuse') {
    if (rc().has(i)) rc().terminate(i);
    patchRuntime(i, { status: 'idle', step: 0, error: { kind: 'resources', message: `Not built: ${v.message}.`, recoverable: true } });
    return;
  }
  rc().create(i, cfg, s.backendChoice, s.runtime[i]?.disabled ?? []);
}

function respawnAll(exp: Experiment): void {
  pacer.stopAll();
  rc().terminateAll();
  metrics.clear();
  exp.runs.forEach((cfg, i) => spawn(i, cfg));
}

const experimentSlice: StateCreator<State, [], [], ExperimentSlice> = (set, get) => ({
  experiment: defaultExperiment(),
  banner: null,
  setBanner: (banner) => set({ banner }),
  setRunConfig(i, cfg) {
    const prev = get().experiment.runs[i];
    const runs = get().experiment.runs.slice();
    runs[i] = cfg;
    set({ experiment: { ...get().experiment, runs } });
    const blocked = get().runtime[i]?.error?.kind === 'resources';
    if (blocked || runVerdict(i).level === 'refuse') {
      // Into or out of a config too large to build: (re)create from scratch.
      pacer.stop(i);
      if (!blocked) patchRuntime(i, { divergedAt: undefined });
      else patchRuntime(i, { error: undefined });
      spawn(i, cfg);
      return;
    }
    if (!rc().has(i)) return;
    if (needsReset(prev, cfg)) {
      pacer.stop(i);
      rc().reset(i, cfg);
      patchRuntime(i, { status: 'idle', step: 0, error: undefined, divergedAt: undefined });
    } else {
      rc().update(i, cfg);
    }
  },
  editRun(i, edit) {
    const draft = clone(get().experiment.runs[i]);
    edit(draft);
    const r = parseRunConfig(draft, ['runs', i]);
    if (!r.ok) return r.errors.join('; ');
    get().setRunConfig(i, r.value);
    return null;
  },
  addRun(cfg) {
    const exp = get().experiment;
    if (exp.runs.length >= MAX_RUNS) return;
    const base = cfg ?? clone(exp.runs[exp.runs.length - 1]);
    const run = { ...base, label: cfg?.label && !exp.runs.some((r) => r.label === cfg.label) ? cfg.label : nextLabel(exp) };
    const runs = [...exp.runs, run];
    set({ experiment: { ...exp, runs }, runtime: [...get().runtime, emptyRuntime()] });
    spawn(runs.length - 1, run);
  },
  duplicateRun(i) {
    get().addRun(clone(get().experiment.runs[i]));
  },
  compareWithClipping(i) {
    const base = clone(get().experiment.runs[i]);
    base.stabilizers.clip = { ...base.stabilizers.clip, mode: 'global_norm', threshold: 1 };
    base.label = `${base.label} + clip`.slice(0, 40);
    get().addRun(base);
  },
  removeRun(i) {
    const exp = get().experiment;
    if (exp.runs.length <= 1) return;
    const runs = exp.runs.filter((_, j) => j !== i);
    const next = { ...exp, runs };
    set({ experiment: next, runtime: runs.map(() => emptyRuntime()) });
    respawnAll(next);
  },
  loadExperiment(exp) {
    set({ experiment: exp, runtime: exp.runs.map(() => emptyRuntime()), presetId: findPreset(exp)?.id ?? null });
    respawnAll(exp);
  },
  presetId: null,
  loadPreset(id) {
    const p = presetById(id);
    if (!p) return;
    const exp = presetExperiment(p);
    get().loadExperiment(exp);
    // Several runs of a preset are meant to be compared side by side.
    set({ presetId: id, banner: null, ...(exp.runs.length > 1 ? { layout: 'columns' as const } : {}) });
  },
  dismissPreset: () => set({ presetId: null }),
});

const runtimeSlice: StateCreator<State, [], [], RuntimeSlice> = (set, get) => ({
  runtime: [emptyRuntime()],
  backendChoice: 'auto',
  setBackendChoice(b) {
    set({ backendChoice: b, runtime: get().runtime.map((r) => ({ ...r, disabled: [] })) });
    respawnAll(get().experiment);
  },
  speed: 'max',
  setSpeed(speed) {
    const prev = get().speed;
    if (speed === prev) return;
    set({ speed });
    if (speed !== 'max') pacer.setRate(speed);
    get().experiment.runs.forEach((_, i) => {
      const rt = get().runtime[i];
      if (rt?.status !== 'training') return;
      if (speed === 'max') {
        pacer.stop(i);
        rc().start(i, shareOpts(get().experiment.runs.length));
      } else if (!pacer.isPaced(i)) {
        rc().pause(i);
        pacer.start(i, rt.step);
      }
    });
  },
  startAll() {
    get().experiment.runs.forEach((_, i) => get().startRun(i));
  },
  pauseAll() {
    get().experiment.runs.forEach((_, i) => get().pauseRun(i));
  },
  toggleAll() {
    const anyTraining = get().runtime.some((r) => r.status === 'training');
    if (anyTraining) get().pauseAll();
    else get().startAll();
  },
  stepAll() {
    get().experiment.runs.forEach((_, i) => {
      const st = get().runtime[i]?.status;
      if (st !== 'training') rc().stepOnce(i);
    });
  },
  resetAll() {
    pacer.stopAll();
    get().experiment.runs.forEach((cfg, i) => {
      rc().reset(i, cfg);
      patchRuntime(i, { status: 'idle', step: 0, error: undefined, divergedAt: undefined, divergedReason: undefined });
    });
  },
  restartRun(i) {
    const rt = get().runtime[i];
    if (rt?.error?.kind === 'resources') forced.add(get().experiment.runs[i]);
    const disabled = rt?.error?.kind === 'device-lost' && rt.backend ? [...rt.disabled, rt.backend] : rt?.disabled ?? [];
    pacer.stop(i);
    patchRuntime(i, { status: 'idle', step: 0, error: undefined, divergedAt: undefined, disabled });
    spawn(i, get().experiment.runs[i]);
  },
  startRun(i) {
    const rt = get().runtime[i];
    const st = rt?.status;
    if (st === 'training' || st === 'diverged' || st === 'error') return;
    const speed = get().speed;
    if (speed === 'max') {
      rc().start(i, shareOpts(get().experiment.runs.length));
    } else if (st !== 'done') {
      pacer.setRate(speed);
      pacer.start(i, rt?.step ?? 0);
      patchRuntime(i, { status: 'training' });
    }
  },
  pauseRun(i) {
    if (pacer.isPaced(i)) {
      // The worker is between single steps (its own status is already 'paused').
      pacer.stop(i);
      patchRuntime(i, { status: 'paused', stepsPerSec: 0 });
      return;
    }
    rc().pause(i);
  },
});

const viewSlice: StateCreator<State, [], [], ViewSlice> = (set, get) => ({
  layout: 'overlay',
  smoothing: 0,
  logScale: true,
  showClipped: true,
  hiddenLayers: {},
  setView: (p) => set(p),
  toggleLayer(name) {
    const h = { ...get().hiddenLayers };
    h[name] = !h[name];
    set({ hiddenLayers: h });
  },
});

export const useStore = create<State>()((...a) => ({
  ...experimentSlice(...a),
  ...runtimeSlice(...a),
  ...viewSlice(...a),
}));
