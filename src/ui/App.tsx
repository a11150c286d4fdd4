/**
 * The page: its top bar, the training bar, the presets, the run summaries, the
 * charts and the settings beside them, and the sweep panel.
 */
import { useEffect } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { MAX_RUNS } from '../engine/config.ts';
import { BACKEND_CHOICES, type BackendChoice } from '../engine/backends.ts';
import { ENGINE_CHOICES, type EngineChoice } from '../engine/engines.ts';
import { describeSpeeds } from './backendSpeeds.ts';
import { useStore } from './store.ts';
import { bannerText } from './state/banner.ts';
import { RunPanel } from './RunPanel.tsx';
import { ChartsArea } from './ChartsArea.tsx';
import { ChartViewControls } from './Charts.tsx';
import { PRESENTATION_PALETTE } from './palette.ts';
import { STANDARD_PALETTE, setChartPalette } from './colors.ts';
import { Controls, RUNS_FULL_REASON } from './Controls.tsx';
import { Presets } from './Presets.tsx';
import { RunSummary } from './RunSummary.tsx';
import { ShareExport } from './ShareExport.tsx';
import { SweepPanel } from './sweep/SweepPanel.tsx';

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
  const { rt, choice, setChoice, engineChoice, setEngineChoice } = useStore(
    useShallow((s) => ({
      rt: s.runtime[0],
      choice: s.backendChoice,
      setChoice: s.setBackendChoice,
      engineChoice: s.engineChoice,
      setEngineChoice: s.setEngineChoice,
    })),
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
      <label title="auto: the typed engine (plain TypeScript, same records) for small MLPs on a CPU backend, tfjs for the rest; tfjs or typed by name">
        Engine{' '}
        <select
          value={engineChoice}
          onChange={(e) => setEngineChoice(e.target.value as EngineChoice)}
          aria-label="Training engine"
          data-testid="engine-choice"
        >
          {ENGINE_CHOICES.map((e) => (
            <option key={e} value={e}>
              {e === 'auto' ? 'auto (by model)' : e}
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
