/**
 * The sweep panel's state (its own zustand store: the sweep is independent of the
 * runs being watched). The draft is the editable sweep config, validated on every
 * edit and mirrored in the URL (`sweep=`); `start` runs it in a pool of workers
 * and the map fills in as results arrive.
 */
import { create } from 'zustand';
import { MAX_RUNS, type RunConfig } from '../../engine/config.ts';
import { parseSweep, type SweepConfig, type SweepInput } from '../../engine/sweep/schema.ts';
import { SWEEP_PRESETS } from '../../engine/sweep/meta.ts';
import { SweepPlanner, type TrialSpec } from '../../engine/sweep/planner.ts';
import type { TrialResult } from '../../engine/sweep/result.ts';
import { runSweep } from '../../engine/sweep/runner.ts';
import { useStore } from '../store.ts';
import { SweepPool, defaultPoolSize } from './pool.ts';

export type SweepStatus = 'idle' | 'running' | 'done' | 'cancelled';

/** What the last click on a trial did: added it as a run, or not (the page has its most runs already). */
export interface OpenedTrial {
  /** The trial's number on the map (1-based). */
  trial: number;
  /** The run's label (as added; the trial's own when not added). */
  label: string;
  /** The index of the added run; null when the page had MAX_RUNS runs already. */
  run: number | null;
}

export interface RunningTrial {
  spec: TrialSpec;
  step: number;
}

export interface SweepState {
  open: boolean;
  /** The panel was used (or came from a link): the URL carries the sweep from then on. */
  inUrl: boolean;
  draft: SweepInput;
  /** Why the draft does not validate (empty when it does). */
  draftErrors: string[];
  workers: number;
  status: SweepStatus;
  /** The sweep whose results are shown. */
  config: SweepConfig | null;
  results: TrialResult[];
  running: Record<number, RunningTrial>;
  total: number;
  startedAt: number;
  elapsedMs: number;
  backend: string | null;
  message: string | null;
  setOpen(open: boolean): void;
  /** Replaces the draft; returns (and keeps in draftErrors) why it does not validate. */
  setDraft(d: SweepInput): string[];
  applyPreset(id: string): void;
  /** Makes run i of the page's experiment the base of the sweep. */
  setBaseFromRun(i: number): void;
  setWorkers(n: number): void;
  start(): void;
  cancel(): void;
  /** The last trial opened from the map (null until one is). */
  opened: OpenedTrial | null;
  /**
   * Adds a trial to the page's experiment as a run of its own, not started; the
   * runs already there stay. With MAX_RUNS runs already, adds nothing and says so
   * (`opened.run` null). The page makes this a history entry (SweepPanel).
   */
  openTrial(r: TrialResult): void;
}

export function presetDraft(id: string): SweepInput {
  const p = SWEEP_PRESETS.find((x) => x.id === id) ?? SWEEP_PRESETS[0];
  return JSON.parse(JSON.stringify(p.sweep)) as SweepInput;
}

/** The draft as a validated config (null when it does not validate). */
export function draftConfig(d: SweepInput): SweepConfig | null {
  const r = parseSweep(d);
  return r.ok ? r.value : null;
}

let pool: SweepPool | null = null;
let signal: { aborted: boolean } | null = null;
let clock: ReturnType<typeof setInterval> | null = null;

function stopClock(): void {
  if (clock) clearInterval(clock);
  clock = null;
}

export const useSweepStore = create<SweepState>()((set, get) => ({
  open: false,
  inUrl: false,
  draft: presetDraft(SWEEP_PRESETS[0].id),
  draftErrors: [],
  workers: defaultPoolSize(),
  status: 'idle',
  config: null,
  results: [],
  running: {},
  total: 0,
  startedAt: 0,
  elapsedMs: 0,
  backend: null,
  message: null,
  opened: null,

  setOpen: (open) => set(open ? { open, inUrl: true } : { open }),

  setDraft(d) {
    const r = parseSweep(d);
    const draftErrors = r.ok ? [] : r.errors;
    set({ draft: d, draftErrors, inUrl: true });
    return draftErrors;
  },

  applyPreset(id) {
    set({ draft: presetDraft(id), draftErrors: [], open: true, inUrl: true });
  },

  setBaseFromRun(i) {
    const run: RunConfig | undefined = useStore.getState().experiment.runs[i];
    if (!run) return;
    get().setDraft({ ...get().draft, base: JSON.parse(JSON.stringify(run)) });
  },

  setWorkers: (n) => set({ workers: Math.max(1, Math.min(16, Math.round(n) || 1)) }),

  start() {
    if (get().status === 'running') return;
    const parsed = parseSweep(get().draft);
    if (!parsed.ok) {
      set({ message: parsed.errors.join('; ') });
      return;
    }
    const cfg = parsed.value;
    const total = new SweepPlanner(cfg).total;
    const size = Math.max(1, Math.min(get().workers, total));
    const mySignal = { aborted: false };
    signal = mySignal;
    pool?.terminate();
    const myPool = new SweepPool(size, cfg.base.model.arch, 'auto', {
      onReady: (backend) => set({ backend }),
      onProgress: (index, step) => {
        const cur = get().running[index];
        if (cur && signal === mySignal) set({ running: { ...get().running, [index]: { ...cur, step } } });
      },
    });
    pool = myPool;
    const t0 = performance.now();
    set({ status: 'running', config: cfg, results: [], running: {}, total, startedAt: t0, elapsedMs: 0, message: null, backend: null, opened: null });
    stopClock();
    clock = setInterval(() => set({ elapsedMs: performance.now() - t0 }), 200);
    void runSweep(cfg, (spec) => myPool.run(spec), {
      concurrency: size,
      signal: mySignal,
      onStart: (spec) => {
        if (signal === mySignal) set({ running: { ...get().running, [spec.index]: { spec, step: 0 } } });
      },
      onTrial: (r) => {
        if (signal !== mySignal) return;
        const running = { ...get().running };
        delete running[r.index];
        set({ results: [...get().results, r], running });
      },
    })
      .then(({ summary }) => {
        if (signal !== mySignal) return;
        set({ status: summary.cancelled ? 'cancelled' : 'done', running: {}, elapsedMs: performance.now() - t0 });
      })
      .catch((e: unknown) => {
        if (signal !== mySignal) return;
        set({ status: 'cancelled', running: {}, message: `the sweep stopped: ${e instanceof Error ? e.message : String(e)}` });
      })
      .finally(() => {
        if (signal === mySignal) {
          stopClock();
          myPool.terminate();
          if (pool === myPool) pool = null;
        }
      });
  },

  cancel() {
    if (get().status !== 'running') return;
    if (signal) signal.aborted = true;
    pool?.terminate();
  },

  openTrial(r) {
    if (!r.config) return;
    const trial = r.point + 1;
    if (useStore.getState().experiment.runs.length >= MAX_RUNS) {
      set({ opened: { trial, label: r.config.label, run: null } });
      return;
    }
    useStore.getState().addRun(JSON.parse(JSON.stringify(r.config)) as RunConfig);
    const runs = useStore.getState().experiment.runs;
    set({ opened: { trial, label: runs[runs.length - 1].label, run: runs.length - 1 } });
  },
}));
