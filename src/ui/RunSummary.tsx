/**
 * One run's summary line: its status, step count and speed, its latest loss and
 * accuracies, what its worker is busy with, and its divergence or error.
 */
import { isRegressionRun } from './datasetCache.ts';
import { useEffect, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { useStore } from './store.ts';
import { fmt } from './Charts.tsx';
import { runColor } from './palette.ts';
import { headValue, isEvaluated, metrics } from './metrics.ts';
import { useMetricsVersion, useStoreAtTicks } from './useMetrics.ts';

export function RunSummary({ i }: { i: number }) {
  // What changes rarely re-renders at once; the step count and the speed change with
  // every record batch and are shown on the display clock's ticks while the run
  // trains (useStoreAtTicks), exactly at once when it stops.
  const rt = useStore(
    useShallow((s) => {
      const r = s.runtime[i];
      return { exists: !!r, status: r?.status, progress: r?.progress, divergedAt: r?.divergedAt, divergedReason: r?.divergedReason, error: r?.error };
    }),
  );
  const { label, presentation } = useStore(useShallow((s) => ({ label: s.experiment.runs[i]?.label, presentation: s.presentation })));
  const tickedStep = useStoreAtTicks((s) => s.runtime[i]?.step);
  const stepsPerSec = useStoreAtTicks((s) => s.runtime[i]?.stepsPerSec) ?? 0;
  const stoppedStep = useStore((s) => (s.runtime[i]?.status === 'training' ? undefined : s.runtime[i]?.step));
  if (!rt.exists || !rt.status) return null;
  const step = stoppedStep ?? tickedStep ?? 0;
  return (
    <div className="run-summary" style={{ borderColor: runColor(i, presentation) }}>
      <strong>{label}</strong> <span className={`status status-${rt.status}`} data-testid="run-status">{rt.status}</span>{' '}
      {/* A count of steps (0, 1, … are their numbers: a run diverged at step 4 has made 5). */}
      <span className="nowrap" title="Steps made so far; steps are numbered from 0">
        <span data-testid="step-count">{step}</span> {step === 1 ? 'step' : 'steps'}
      </span>{' '}
      ·{' '}
      <span className="nowrap">
        <span data-testid="steps-per-sec">{stepsPerSec.toFixed(1)}</span> steps/s
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
  const cfg = useStore((st) => st.experiment.runs[i]);
  const r2 = cfg ? isRegressionRun(cfg) : false;
  const score = (v: number) => (r2 ? (Number.isFinite(v) ? v.toFixed(3) : String(v)) : pct(v));
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
        <span title={r2 ? 'R² on the last training batch (1 − squared error / variance)' : 'Accuracy on the last training batch'}>{r2 ? 'batch R²' : 'batch acc'}</span>{' '}
        <span data-testid="last-acc" data-value={acc}>
          {score(acc)}
        </span>
      </span>
      {ev ? (
        <>
          {' '}
          ·{' '}
          <strong className="nowrap">
            <span title={`${r2 ? 'R²' : 'Accuracy'} on the held-out test set at step ${headValue(ev, 'step')}`}>{r2 ? 'test R²' : 'test acc'}</span>{' '}
            <span data-testid="last-test-acc" data-value={testAcc} data-step={headValue(ev, 'step')}>
              {score(testAcc)}
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
