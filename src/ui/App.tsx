import { Suspense, lazy, useEffect, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { MAX_RUNS } from '../engine/config.ts';
import { BACKEND_CHOICES, type BackendChoice } from '../engine/backends.ts';
import { describeSpeeds } from './backendSpeeds.ts';
import { useStore } from './store.ts';
import { bannerText } from './state/banner.ts';
import { RunPanel } from './RunPanel.tsx';
import { ChartViewControls, LayerHeatmap, LayerNormChart, RunsChart, DecisionBoundary, fmt } from './Charts.tsx';
import { Presets } from './Presets.tsx';
import { ShareExport } from './ShareExport.tsx';
import { Icon } from './Icon.tsx';
import { installShortcuts } from './keyboard.ts';
import { PRESENTATION_PALETTE, runColor } from './palette.ts';
import { STANDARD_PALETTE, setChartPalette } from './colors.ts';
import { SweepPanel } from './sweep/SweepPanel.tsx';
import { headValue, isEvaluated, metrics } from './metrics.ts';
import { SPEEDS, speedFromString } from './pacer.ts';
import { useMetricsVersion } from './useMetrics.ts';

/**
 * The gradient-flow bars are the only recharts chart: loaded as a chunk of its
 * own so that recharts (about 100 KiB gzip) is not in the JavaScript the page
 * needs before it can show anything; the chunk is fetched on the first render.
 */
const GradientFlow = lazy(() => import('./GradientFlow.tsx').then((m) => ({ default: m.GradientFlow })));

function GradientFlowSlot({ run, testId }: { run: number; testId: string }) {
  return (
    <Suspense fallback={<figure className="chart gradient-flow" aria-busy="true" aria-label="Gradient flow (loading)" />}>
      <GradientFlow run={run} testId={testId} />
    </Suspense>
  );
}

function Banner() {
  const text = useStore((s) => bannerText(s.banner));
  const clearBanner = useStore((s) => s.clearBanner);
  if (!text) return null;
  return (
    <div className="banner error" role="alert" data-testid="error-banner">
      <span>{text}</span>
      <button type="button" onClick={() => clearBanner()} aria-label="Dismiss message">
        ×
      </button>
    </div>
  );
}

function BackendBadge() {
  const { rt, choice, setChoice } = useStore(
    useShallow((s) => ({ rt: s.runtime[0], choice: s.backendChoice, setChoice: s.setBackendChoice })),
  );
  return (
    <div className="backend side-card">
      <label>
        Backend{' '}
        <select value={choice} onChange={(e) => setChoice(e.target.value as BackendChoice)} aria-label="TensorFlow.js backend">
          {BACKEND_CHOICES.map((b) => (
            <option key={b} value={b}>
              {b === 'auto' ? 'auto (by model size)' : b === 'fastest' ? 'fastest (measured on this model)' : b}
            </option>
          ))}
        </select>
      </label>{' '}
      in use: <strong data-testid="backend">{rt?.backend ?? '…'}</strong>
      {rt?.engine ? (
        <span className="muted" title={rt.engineReason}>
          {' '}
          · engine <strong data-testid="engine">{rt.engine}</strong>
        </span>
      ) : null}
      {rt?.plan ? (
        <span className="muted" data-testid="backend-plan" title="auto: small MLPs start on a CPU backend at once; conv nets and large models try the GPU first">
          {' '}
          ({rt.plan})
        </span>
      ) : null}
      {rt?.fallbackReason ? (
        <span className="muted" data-testid="backend-reason" title={rt.fallbackReason}>
          {' '}
          (not {rt.attempts?.[0]?.backend}: {rt.fallbackReason})
        </span>
      ) : null}
      {rt?.speeds?.length ? (
        <span
          className="muted"
          data-testid="backend-speeds"
          title="fastest: a few training steps of this model were timed on every backend that started; the fastest trains the run, from step 0"
        >
          {' '}
          · measured: {describeSpeeds(rt.speeds)}
        </span>
      ) : null}
    </div>
  );
}

/** Why a fifth run cannot be added (on the disabled buttons and once in the settings). */
export const RUNS_FULL_REASON = `${MAX_RUNS} runs is the most the page trains side by side: remove one (× on its panel) to add, duplicate or compare another.`;

/** Space, S and R, wherever the focus is except in text boxes (keyboard.ts). */
function useShortcuts() {
  useEffect(
    () =>
      installShortcuts(window, {
        toggle: () => useStore.getState().toggleAll(),
        step: () => useStore.getState().stepAll(),
        reset: () => useStore.getState().resetAll(),
      }),
    [],
  );
}

/** Train/Pause, Step, Reset, Add run and the speed: the sticky bar, always in reach. */
function Controls() {
  const { anyTraining, toggleAll, stepAll, resetAll, addRun, nRuns, speed, setSpeed } = useStore(
    useShallow((s) => ({
      anyTraining: s.runtime.some((r) => r.status === 'training'),
      toggleAll: s.toggleAll,
      stepAll: s.stepAll,
      resetAll: s.resetAll,
      addRun: s.addRun,
      nRuns: s.experiment.runs.length,
      speed: s.speed,
      setSpeed: s.setSpeed,
    })),
  );
  useShortcuts();
  const full = nRuns >= MAX_RUNS;
  return (
    <div className="controls" role="toolbar" aria-label="Training controls">
      <button type="button" className="primary" data-testid="train-toggle" onClick={toggleAll} aria-pressed={anyTraining} title="Start or pause all runs (Space)">
        <Icon name={anyTraining ? 'pause' : 'play'} /> {anyTraining ? 'Pause' : 'Train'}
      </button>
      <button type="button" data-testid="step-once" onClick={stepAll} disabled={anyTraining} title="One step of every run (S)">
        <Icon name="step" /> Step
      </button>
      <button type="button" data-testid="reset" onClick={resetAll} title="Back to step 0 with the same seed (R)">
        <Icon name="reset" /> Reset
      </button>
      <span className="disabled-reason" title={full ? RUNS_FULL_REASON : undefined}>
        <button type="button" data-testid="add-run" onClick={() => addRun()} disabled={full} title={full ? RUNS_FULL_REASON : 'Add a run (a copy of the last one)'}>
          + Add run
        </button>
      </span>
      <label className="speed" title="Full speed lets the worker train as fast as it can; a slower speed sends one step at a time so an explosion can be followed step by step">
        <span className="speed-label">Speed</span>{' '}
        <select value={String(speed)} data-testid="speed" onChange={(e) => setSpeed(speedFromString(e.target.value))}>
          {SPEEDS.map((o) => (
            <option key={String(o.value)} value={String(o.value)}>
              {o.label}
            </option>
          ))}
        </select>
      </label>
      <span className="keys muted" aria-hidden="true">
        <kbd>Space</kbd> train/pause <kbd>S</kbd> step <kbd>R</kbd> reset
      </span>
    </div>
  );
}

/** Presentation mode: larger text, high-contrast colours (remembered in this browser, see state/view.ts). */
function PresentationToggle() {
  const { on, set } = useStore(useShallow((s) => ({ on: s.presentation, set: s.setPresentation })));
  useEffect(() => {
    document.documentElement.classList.toggle('presentation', on);
    setChartPalette(on ? PRESENTATION_PALETTE : STANDARD_PALETTE);
  }, [on]);
  return (
    <button
      type="button"
      className="presentation-toggle"
      data-testid="presentation"
      aria-pressed={on}
      onClick={() => set(!on)}
      title="Presentation mode: larger text and high-contrast colours for a projector (remembered in this browser)"
    >
      {on ? 'Presenting' : 'Present'}
    </button>
  );
}

function ViewOptions() {
  const { smoothing, logScale, showClipped, setView } = useStore(
    useShallow((s) => ({ smoothing: s.smoothing, logScale: s.logScale, showClipped: s.showClipped, setView: s.setView })),
  );
  return (
    <div className="view-options side-card" role="group" aria-label="Chart options">
      <ChartViewControls />
      <label title="Exponential moving average of the plotted values">
        Smoothing{' '}
        <input type="range" min={0} max={0.99} step={0.01} value={smoothing} onChange={(e) => setView({ smoothing: Number(e.target.value) })} />
      </label>
      <label>
        <input type="checkbox" checked={logScale} onChange={(e) => setView({ logScale: e.target.checked })} /> log scale
      </label>
      <label>
        <input type="checkbox" checked={showClipped} onChange={(e) => setView({ showClipped: e.target.checked })} /> show post-clip norm
      </label>
    </div>
  );
}

function RunSummary({ i }: { i: number }) {
  const { rt, label, presentation } = useStore(useShallow((s) => ({ rt: s.runtime[i], label: s.experiment.runs[i]?.label, presentation: s.presentation })));
  if (!rt) return null;
  return (
    <div className="run-summary" style={{ borderColor: runColor(i, presentation) }}>
      <strong>{label}</strong> <span className={`status status-${rt.status}`} data-testid="run-status">{rt.status}</span>{' '}
      <span className="nowrap">
        step <span data-testid="step-count">{rt.step}</span>
      </span>{' '}
      ·{' '}
      <span className="nowrap">
        <span data-testid="steps-per-sec">{rt.stepsPerSec.toFixed(1)}</span> steps/s
      </span>
      <LatestNumbers i={i} />
      {rt.progress ? <Progress what={rt.progress.what} since={rt.progress.since} /> : null}
      {rt.divergedAt !== undefined && rt.status === 'diverged' ? (
        <div className="banner diverged" role="status" data-testid="diverged-banner">
          Diverged at step {rt.divergedAt}: {rt.divergedReason}
        </div>
      ) : null}
      {rt.error ? <RunError i={i} /> : null}
    </div>
  );
}

/** What a run's worker is busy with before its first numbers, with the time it has taken so far. */
function Progress({ what, since }: { what: string; since: number }) {
  const [now, setNow] = useState(() => performance.now());
  useEffect(() => {
    const t = setInterval(() => setNow(performance.now()), 500);
    return () => clearInterval(t);
  }, []);
  const s = Math.max(0, (now - since) / 1000);
  return (
    <div className="progress muted" role="status" data-testid="run-progress">
      {what}… {s < 10 ? s.toFixed(1) : s.toFixed(0)} s
    </div>
  );
}

const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : fmt(x));

/**
 * The last recorded loss and batch accuracy of a run (the same numbers as the
 * exports), and the latest test accuracy once the run has been evaluated.
 */
function LatestNumbers({ i }: { i: number }) {
  useMetricsVersion(250, undefined, i);
  const s = metrics.get(i);
  const row = s?.latest;
  if (!row) return null;
  const loss = headValue(row, 'loss');
  const acc = headValue(row, 'acc');
  const ev = s.latestEval && isEvaluated(s.latestEval) ? s.latestEval : null;
  const testAcc = ev ? headValue(ev, 'testAcc') : NaN;
  return (
    <span className="latest">
      {' '}
      ·{' '}
      <span className="nowrap">
        loss{' '}
        <span data-testid="last-loss" data-value={loss} data-step={headValue(row, 'step')}>
          {fmt(loss)}
        </span>
      </span>{' '}
      ·{' '}
      <span className="nowrap">
        <span title="Accuracy on the last training batch">batch acc</span>{' '}
        <span data-testid="last-acc" data-value={acc}>
          {pct(acc)}
        </span>
      </span>
      {ev ? (
        <>
          {' '}
          ·{' '}
          <strong className="nowrap">
            <span title={`Accuracy on the held-out test set at step ${headValue(ev, 'step')}`}>test acc</span>{' '}
            <span data-testid="last-test-acc" data-value={testAcc} data-step={headValue(ev, 'step')}>
              {pct(testAcc)}
            </span>
          </strong>
        </>
      ) : null}
    </span>
  );
}

function RunError({ i }: { i: number }) {
  const { error, restart } = useStore(useShallow((s) => ({ error: s.runtime[i]?.error, restart: s.restartRun })));
  if (!error) return null;
  return (
    <div className="banner error" role="alert" data-testid="run-error">
      {error.message}{' '}
      {error.recoverable ? (
        <button type="button" data-testid="restart-run" onClick={() => restart(i)}>
          {error.kind === 'resources' ? 'Build it anyway' : `Restart${error.kind === 'device-lost' ? ' on another backend' : ''}`}
        </button>
      ) : null}
    </div>
  );
}

function ChartsArea() {
  const layout = useStore((s) => s.layout);
  const runs = useStore(useShallow((s) => s.experiment.runs.map((r) => r.data.name)));
  const nRuns = runs.length;
  const [focus, setFocus] = useState(0);
  const f = Math.min(focus, nRuns - 1);
  const indices = layout === 'columns' ? Array.from({ length: nRuns }, (_, i) => i) : [f];
  return (
    <section className="charts" aria-label="Live charts">
      <div className="shared-charts">
        <RunsChart metric="loss" testId="loss-chart" />
        <RunsChart metric="acc" testId="acc-chart" />
      </div>
      {layout === 'overlay' && nRuns > 1 ? (
        <div className="focus" role="tablist" aria-label="Run shown in the per-layer charts">
          {Array.from({ length: nRuns }, (_, i) => (
            <button key={i} type="button" role="tab" aria-selected={i === f} className={i === f ? 'active' : ''} onClick={() => setFocus(i)}>
              <RunLabel i={i} />
            </button>
          ))}
        </div>
      ) : null}
      <div className={`chart-columns n${indices.length}`}>
        {indices.map((i, k) => (
          <div key={i} className="chart-column">
            {layout === 'columns' ? (
              <h3>
                <RunLabel i={i} />
              </h3>
            ) : null}
            <GradientFlowSlot run={i} testId={k === 0 ? 'gradient-flow' : `gradient-flow-${i}`} />
            <LayerNormChart run={i} field="gradNorm" testId={k === 0 ? 'grad-norm-chart' : `grad-norm-chart-${i}`} title="Per-layer gradient norm ‖∂L/∂W‖ (black: global; dashed: after clipping)" />
            <LayerNormChart run={i} field="actGradNorm" testId={k === 0 ? 'act-grad-chart' : `act-grad-chart-${i}`} title="Back-propagated signal ‖∂L/∂h‖ per layer" />
            <LayerNormChart run={i} field="updateRatio" testId={k === 0 ? 'update-ratio-chart' : `update-ratio-chart-${i}`} title="Update ratio ‖ΔW‖/‖W‖ per layer (dotted: 1e‑3)" />
            <LayerHeatmap run={i} testId={k === 0 ? 'layer-heatmap' : `layer-heatmap-${i}`} />
            {runs[i] !== 'shapes' ? <DecisionBoundary run={i} /> : null}
          </div>
        ))}
      </div>
      <div className="shared-charts">
        <RunsChart metric="lr" testId="lr-chart" />
      </div>
    </section>
  );
}

function RunLabel({ i }: { i: number }) {
  const { label, presentation } = useStore(useShallow((s) => ({ label: s.experiment.runs[i]?.label, presentation: s.presentation })));
  return <span style={{ color: runColor(i, presentation) }}>{label}</span>;
}

function RunsFullNote() {
  const full = useStore((s) => s.experiment.runs.length >= MAX_RUNS);
  if (!full) return null;
  return (
    <p className="runs-full muted" role="note" data-testid="runs-full">
      {RUNS_FULL_REASON}
    </p>
  );
}

/**
 * The page, in the order a lecture needs it: the sticky training bar, the
 * presets and the preset's note, one summary line per run, then the charts
 * (loss and accuracy first) and, beside them on a wide screen or below them on
 * a narrow one, the settings. At every width the first chart is on the first
 * screen (tests/e2e/lecture.test.mjs).
 */
export function App() {
  const nRuns = useStore((s) => s.experiment.runs.length);
  // The charts draw with the palette of the mode: rebuilt when it changes.
  const presentation = useStore((s) => s.presentation);
  return (
    <div className="app">
      <header className="topbar">
        <h1>
          grad<span>scope</span>
        </h1>
        <p className="tagline">Watch gradients explode — and tame them — while a network trains in your browser.</p>
        <div className="topbar-tools">
          <PresentationToggle />
          <ShareExport />
        </div>
      </header>
      <Banner />
      <div className="toolbar" data-testid="toolbar">
        <Controls />
      </div>
      <Presets />
      <div className="summaries">
        {Array.from({ length: nRuns }, (_, i) => (
          <RunSummary key={i} i={i} />
        ))}
      </div>
      <main className="layout">
        <ChartsArea key={presentation ? 'presentation' : 'standard'} />
        <aside className="panels" aria-label="Experiment settings">
          <ViewOptions />
          <BackendBadge />
          <RunsFullNote />
          {Array.from({ length: nRuns }, (_, i) => (
            <RunPanel key={i} i={i} />
          ))}
        </aside>
      </main>
      <SweepPanel />
      <footer className="muted small">
        Numbers are measured on the device every step: L2 norms of each layer's gradient before and after clipping, of its weights, of the applied update, and of the back-propagated signal.
      </footer>
    </div>
  );
}
