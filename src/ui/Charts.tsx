/**
 * The line charts over steps: a per-layer quantity of one run (LayerNormChart)
 * and one quantity of every run (RunsChart), and the runs' view controls (layout,
 * shared scales). The heatmap is in LayerHeatmap.tsx, the decision boundary in
 * DecisionBoundary.tsx.
 */
import { CHART_FONT_PX } from './canvas.ts';
import { useMemo, useRef } from 'react';
import { LineCanvas } from './LineCanvas.tsx';
import { metrics } from './metrics.ts';
import { layerGradientCss } from './colors.ts';
import { runsYRange } from './chartScale.ts';
import { changeMarkers, divergedMarkers, fmt, fmtTick, layerChartData, runsChartData, type LayerSeries, type RunMetric } from './chartData.ts';
import { useMetricsVersion } from './useMetrics.ts';
import { useShallow } from 'zustand/react/shallow';
import { useStore } from './store.ts';
import type { Layout } from './state/view.ts';
import { isRegressionRun } from './datasetCache.ts';
import { PngButton } from './PngButton.tsx';

export { fmt, fmtTick, UPDATE_RATIO_REFERENCE, type LayerSeries } from './chartData.ts';

/** Whether the runs' charts share one scale now: the toggle is on and there is more than one run. */
export function useSharedScales(): boolean {
  return useStore((s) => s.sharedScales && s.experiment.runs.length > 1);
}

/** "colour: input → output" with the layer colours as a gradient. */
function LayerOrderNote() {
  return (
    <span className="muted" title="Layer lines are coloured from the input layer (dark) to the output layer (light)">
      colour: input
      <span aria-hidden="true" style={{ display: 'inline-block', width: 40, height: 8, margin: '0 4px', verticalAlign: 'middle', borderRadius: 2, background: layerGradientCss() }} />
      output
    </span>
  );
}

/**
 * The runs' layout and the shared-scale toggle (part of the share link).
 * Meant for the page's view options.
 */
export function ChartViewControls() {
  const { layout, sharedScales, nRuns, setView } = useStore(
    useShallow((s) => ({ layout: s.layout, sharedScales: s.sharedScales, nRuns: s.experiment.runs.length, setView: s.setView })),
  );
  return (
    <span className="chart-view-controls">
      <label>
        Runs{' '}
        <select value={layout} data-testid="view-layout" onChange={(e) => setView({ layout: e.target.value as Layout })}>
          <option value="columns">side by side</option>
          <option value="overlay">one at a time</option>
        </select>
      </label>{' '}
      <label title="Side by side, every run's per-layer charts use the same y range and the heatmaps the same colour range, so that the same height or colour means the same value. Off: each run's charts fit its own data.">
        <input type="checkbox" data-testid="shared-scales" checked={sharedScales} disabled={nRuns < 2} onChange={(e) => setView({ sharedScales: e.target.checked })} /> same scale for all runs
      </label>
    </span>
  );
}

const LAYER_CHART_HEIGHT: Record<LayerSeries, number> = {
  gradNorm: 240,
  gradNormClipped: 240,
  weightNorm: 220,
  updateNorm: 220,
  actGradNorm: 240,
  kernelGradNorm: 240,
  kernelWeightNorm: 220,
  kernelUpdateNorm: 220,
  updateRatio: 200,
};

/** A per-layer quantity of one run over steps, one line per layer; on the runs' shared y range when they share scales. */
export function LayerNormChart({ run, field, testId, title }: { run: number; field: LayerSeries; testId: string; title: string }) {
  const figRef = useRef<HTMLElement>(null);
  const shared = useSharedScales();
  const version = useMetricsVersion(400, figRef, shared ? undefined : run);
  const { smoothing, logScale, hiddenLayers, showClipped, toggleLayer, highlight, setHighlight } = useStore(
    useShallow((s) => ({
      smoothing: s.smoothing,
      logScale: s.logScale,
      hiddenLayers: s.hiddenLayers,
      showClipped: s.showClipped,
      toggleLayer: s.toggleLayer,
      highlight: s.highlightLayer,
      setHighlight: s.setHighlightLayer,
    })),
  );
  const clipsOfRuns = useStore(useShallow((s) => s.experiment.runs.map((r) => r.stabilizers.clip)));
  const runCfg = useStore((s) => s.experiment.runs[run]);
  const { data, domain } = useMemo(() => {
    const opts = (r: number) => ({ smoothing, hiddenLayers, showClipped, clip: clipsOfRuns[r] });
    const data = layerChartData(metrics.get(run), field, opts(run));
    if (!shared) return { data, domain: undefined };
    const runs = metrics.all().map((s) => {
      const c = s.run === run ? data : layerChartData(s, field, opts(s.run));
      return { series: c.series, refs: c.refLines, diverged: s.divergedAt !== null };
    });
    return { data, domain: runsYRange(runs, logScale).range };
    // `version` stands for the metrics' contents, which are mutated in place
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [version, run, field, smoothing, showClipped, hiddenLayers, clipsOfRuns, shared, logScale]);
  const s = metrics.get(run);
  return (
    <figure ref={figRef} className="chart" data-testid={testId} data-points={data.xs.length} data-shared-scale={shared ? 'true' : 'false'} aria-label={title}>
      <figcaption>
        <span>{title}</span>
        <PngButton name={testId} />
      </figcaption>
      <LineCanvas
        xs={data.xs}
        series={data.series}
        log={logScale}
        height={LAYER_CHART_HEIGHT[field]}
        yDomain={domain}
        refLines={data.refLines}
        markers={[...divergedMarkers(s ? [s] : [], 'short'), ...changeMarkers([{ run, cfg: runCfg }])]}
        onToggle={toggleLayer}
        format={fmt}
        formatTick={fmtTick}
        legendNote={<LayerOrderNote />}
        highlight={highlight}
        onPick={(key) => {
          // A layer's line marks the layer (here, in every chart and in the network view); a second click unmarks it.
          if (s?.layerNames.includes(key)) setHighlight(key === highlight ? null : key);
        }}
      />
    </figure>
  );
}

const RUN_METRIC: Record<RunMetric, { title: string; caption: string; log: boolean; height: number }> = {
  loss: { title: 'Loss', caption: 'Loss (line: training batch; dots: held-out test set)', log: true, height: 240 },
  acc: { title: 'Accuracy', caption: 'Accuracy (line: training batch; dots: held-out test set)', log: false, height: 220 },
  lr: { title: 'Learning rate', caption: 'Learning rate used at each step (schedule and warm-up)', log: false, height: 180 },
};

/**
 * One quantity of every run over steps on shared axes (train line, test dots
 * where evaluated). The loss axis is clamped at a robust upper bound, so a
 * diverging run's last losses do not squash the others' (values above are
 * drawn at the edge, marked), and it labels each run's diverged step.
 */
export function RunsChart({ metric, testId }: { metric: RunMetric; testId: string }) {
  const figRef = useRef<HTMLElement>(null);
  const version = useMetricsVersion(400, figRef);
  const { smoothing, hiddenLayers, toggleLayer } = useStore(useShallow((s) => ({ smoothing: s.smoothing, hiddenLayers: s.hiddenLayers, toggleLayer: s.toggleLayer })));
  const labels = useStore(useShallow((s) => s.experiment.runs.map((r) => r.label)));
  const runCfgs = useStore(useShallow((s) => s.experiment.runs));
  const batchNorm = useStore((s) => s.experiment.runs.some((r) => r.model.norm === 'batch'));
  const regression = runCfgs.map((c) => isRegressionRun(c));
  const accTitle = regression.every(Boolean) ? 'R²' : regression.some(Boolean) ? 'Accuracy / R²' : null;
  const m =
    metric === 'acc' && accTitle
      ? { ...RUN_METRIC.acc, title: accTitle, caption: `${accTitle} (line: training batch; dots: held-out test set${regression.some((r) => !r) ? '; R² for the regression runs' : ''}; R² below 0 is drawn at 0)` }
      : RUN_METRIC[metric];
  const all = metrics.all();
  const { data, domain } = useMemo(() => {
    const data = runsChartData(metrics.all(), metric, labels, { smoothing, hiddenLayers, regression });
    // The loss axis: one range over the runs, clamped above once one has diverged.
    const runs = metrics.all().map((s) => ({ series: data.series.filter((l) => l.key.endsWith(` ${s.run}`)), diverged: s.divergedAt !== null }));
    const domain = metric === 'acc' ? ([0, 1] as [number, number]) : metric === 'loss' ? runsYRange(runs, true).range : undefined;
    return { data, domain };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [version, smoothing, metric, labels, hiddenLayers, regression.join()]);
  return (
    <figure ref={figRef} className="chart" data-testid={testId} data-points={data.xs.length} aria-label={m.title}>
      <figcaption>
        <span>{m.caption}</span>
        <PngButton name={testId} />
      </figcaption>
      <LineCanvas
        xs={data.xs}
        series={data.series}
        log={m.log}
        height={m.height}
        yDomain={domain}
        markers={[...divergedMarkers(all, metric === 'loss' ? 'long' : 'none', labels), ...(metric === 'lr' || metric === 'loss' ? changeMarkers(runCfgs.map((cfg, run) => ({ run, cfg })), labels) : [])]}
        onToggle={(key) => toggleLayer(`${metric}:${key}`)}
        format={fmt}
        formatTick={fmtTick}
      />
      {metric === 'loss' && batchNorm ? (
        <p className="small muted chart-note" data-testid="batchnorm-note" style={{ margin: '4px 6px 0', fontSize: CHART_FONT_PX }}>
          BatchNorm: at step 0 the test loss uses the moving statistics, which start at mean 0 and variance 1 instead of the batch's own, so it starts far above the training loss; they catch up within a few dozen steps.
        </p>
      ) : null}
    </figure>
  );
}
