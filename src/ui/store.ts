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
import type { BackendAttempt, BackendChoice, BackendName, RunStatus } from '../worker/protocol.ts';
import { RunClient } from './runClient.ts';
import { metrics } from './metrics.ts';

export interface RunRuntime {
  status: RunStatus;
  step: number;
  stepsPerSec: number;
  backend?: BackendName;
  fallbackReason?: string;
  attempts?: BackendAttempt[];
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
function rc(): RunClient {
  if (!client) {
    client = new RunClient({
      onReady: (run, m) =>
        patchRuntime(run, {
          backend: m.backend,
          fallbackReason: m.fallbackReason,
          attempts: m.attempts,
          paramCount: m.paramCount,
          layerNames: m.layerNames,
          error: undefined,
          divergedAt: undefined,
          divergedReason: undefined,
        }),
      onStatus: (run, m) =>
        patchRuntime(run, {
          status: m.status,
          step: m.step,
          stepsPerSec: m.stepsPerSec,
          divergedAt: m.divergedAt,
          divergedReason: m.divergedReason,
          numTensors: m.numTensors,
        }),
      onError: (run, m) => patchRuntime(run, { error: { kind: m.kind, message: m.message, recoverable: m.recoverable }, status: 'error' }),
    });
  }
  return client;
}

export function runClient(): RunClient {
  return rc();
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

function spawn(i: number, cfg: RunConfig): void {
  const s = useStore.getState();
  rc().create(i, cfg, s.backendChoice, s.runtime[i]?.disabled ?? []);
}

function respawnAll(exp: Experiment): void {
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
    if (!rc().has(i)) return;
    if (needsReset(prev, cfg)) {
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
    set({ experiment: exp, runtime: exp.runs.map(() => emptyRuntime()) });
    respawnAll(exp);
  },
});

const runtimeSlice: StateCreator<State, [], [], RuntimeSlice> = (set, get) => ({
  runtime: [emptyRuntime()],
  backendChoice: 'auto',
  setBackendChoice(b) {
    set({ backendChoice: b, runtime: get().runtime.map((r) => ({ ...r, disabled: [] })) });
    respawnAll(get().experiment);
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
    get().experiment.runs.forEach((cfg, i) => {
      rc().reset(i, cfg);
      patchRuntime(i, { status: 'idle', step: 0, error: undefined, divergedAt: undefined, divergedReason: undefined });
    });
  },
  restartRun(i) {
    const rt = get().runtime[i];
    const disabled = rt?.error?.kind === 'device-lost' && rt.backend ? [...rt.disabled, rt.backend] : rt?.disabled ?? [];
    patchRuntime(i, { status: 'idle', step: 0, error: undefined, divergedAt: undefined, disabled });
    spawn(i, get().experiment.runs[i]);
  },
  startRun(i) {
    const st = get().runtime[i]?.status;
    if (st === 'training' || st === 'diverged' || st === 'error') return;
    rc().start(i);
  },
  pauseRun(i) {
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
