/**
 * The charts area: the shared loss, accuracy and learning-rate charts, and per
 * run (one column each, or the focused run) the gradient flow, the per-layer
 * norms, the layer heatmap and the decision boundary.
 */
import { Suspense, lazy, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { useStore } from './store.ts';
import { LayerNormChart, RunsChart } from './Charts.tsx';
import { LayerHeatmap } from './LayerHeatmap.tsx';
import { DecisionBoundary } from './DecisionBoundary.tsx';
import { NetworkView } from './NetworkView.tsx';
import { runColor } from './palette.ts';

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

export function ChartsArea() {
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
            <LayerNormChart run={i} field="gradNorm" testId={k === 0 ? 'grad-norm-chart' : `grad-norm-chart-${i}`} title="Per-layer gradient norm ‖∂L/∂θ‖ over weights and biases, what clipping acts on (black: global; dashed: after clipping)" />
            <NetworkView run={i} testId={k === 0 ? 'network-view' : `network-view-${i}`} />
            <LayerNormChart run={i} field="actGradNorm" testId={k === 0 ? 'act-grad-chart' : `act-grad-chart-${i}`} title="Back-propagated signal ‖∂L/∂h‖ per layer" />
            <LayerNormChart run={i} field="updateRatio" testId={k === 0 ? 'update-ratio-chart' : `update-ratio-chart-${i}`} title="Update ratio ‖ΔW‖/‖W‖ of each layer's weight matrix (dotted: 1e‑3)" />
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
