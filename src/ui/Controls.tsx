/**
 * The sticky training bar: Train/Pause, Step, Reset, Add run and the speed, with
 * the page's keyboard shortcuts.
 */
import { useEffect } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { MAX_RUNS } from '../engine/config.ts';
import { useStore } from './store.ts';
import { Icon } from './Icon.tsx';
import { installShortcuts } from './keyboard.ts';
import { SPEEDS, speedFromString } from './pacer.ts';

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
export function Controls() {
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
