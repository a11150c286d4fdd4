/**
 * The sweep panel: choose 1–2 parameters with their ranges, the search method,
 * budget and steps per trial (SweepForm.tsx); run the sweep in a pool of
 * workers and watch the stability map fill in; click a trial to add it to the
 * page as a run (a history entry: Back returns to the runs before). Presets, a share link (`sweep=` in the URL, kept by state/url.ts) and
 * CSV/JSON exports.
 */
import { downloadText } from '../download.ts';
import { useMemo, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { SweepParam } from '../../engine/sweep/schema.ts';
import { describeCompare } from '../../engine/sweep/meta.ts';
import { summarize } from '../../engine/sweep/runner.ts';
import { better, type TrialResult } from '../../engine/sweep/result.ts';
import { summaryToJson, trialToJson, trialUrl, trialsToCsv } from '../../engine/sweep/format.ts';
import { MAX_RUNS } from '../../engine/config.ts';
import { currentShareUrl, pushChange } from '../state/url.ts';
import { useSweepStore, type OpenedTrial } from './sweepStore.ts';
import { SweepForm } from './SweepForm.tsx';
import { PngButton } from '../PngButton.tsx';
import { MapLegend } from './MapLegend.tsx';
import { colorRange, describeTrial, paramLabel } from './mapScale.ts';
import { StabilityMap } from './StabilityMap.tsx';
import { Icon } from '../Icon.tsx';
import './sweep.css';

function pageBase(): string {
  return `${location.origin}${location.pathname}`;
}

function fmtMs(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

function Controls() {
  const { status, start, cancel, results, total, elapsedMs, backend, message, config, draftErrors, nParams } = useSweepStore(
    useShallow((s) => ({
      status: s.status,
      start: s.start,
      cancel: s.cancel,
      results: s.results,
      total: s.total,
      elapsedMs: s.elapsedMs,
      backend: s.backend,
      message: s.message,
      config: s.config,
      draftErrors: s.draftErrors,
      nParams: s.draft.params.length,
    })),
  );
  const [copied, setCopied] = useState<string | null>(null);
  const running = status === 'running';
  const diverged = results.filter((r) => r.diverged).length;
  const share = async () => {
    try {
      await navigator.clipboard.writeText(currentShareUrl());
      setCopied('Link copied');
    } catch {
      setCopied('Copy the link from the address bar');
    }
    setTimeout(() => setCopied(null), 2500);
  };
  const sorted = () => [...results].sort((a, b) => a.index - b.index);
  const exportCsv = () => config && downloadText('gradscope-sweep.csv', trialsToCsv(sorted(), config.params.map((p) => p.path), pageBase()), 'text/csv');
  const exportJson = () => {
    if (!config) return;
    const summary = summarize(config, results, total, elapsedMs, status === 'cancelled');
    const lines = sorted().map((r) => trialToJson(r, { url: trialUrl(r, pageBase()) }));
    lines.push(summaryToJson(summary, { bestUrl: summary.best ? trialUrl(summary.best, pageBase()) : null }));
    downloadText('gradscope-sweep.jsonl', lines.join('\n') + '\n', 'application/x-ndjson');
  };
  return (
    <div className="sweep-controls">
      <div className="sweep-row">
        {running ? (
          <button type="button" className="primary" data-testid="sweep-cancel" onClick={cancel}>
            <Icon name="stop" /> Cancel
          </button>
        ) : (
          <button type="button" className="primary" data-testid="sweep-start" onClick={start} disabled={draftErrors.length > 0 || nParams > 2}>
            <Icon name="play" /> Run sweep
          </button>
        )}
        <button type="button" data-testid="sweep-share" onClick={share} title="Copy a link that holds this sweep (and the current experiment)">
          <Icon name="link" /> Share sweep
        </button>
        <button type="button" data-testid="sweep-export-csv" onClick={exportCsv} disabled={!results.length} title="One row per trial, with its share URL">
          <Icon name="download" /> CSV
        </button>
        <button type="button" data-testid="sweep-export-json" onClick={exportJson} disabled={!results.length} title="One JSON line per trial and a summary line (the CLI's format)">
          <Icon name="download" /> JSON
        </button>
        <span role="status" aria-live="polite" className="muted small">
          {copied}
        </span>
      </div>
      <div className="sweep-progress-row">
        <progress data-testid="sweep-progress" value={results.length} max={Math.max(total, 1)} />
        <span className="small" data-testid="sweep-status" data-status={status}>
          {status === 'idle'
            ? 'not run yet'
            : `${status === 'running' ? 'running' : status}: ${results.length}/${total} trials · ${diverged} diverged · `}
          {status !== 'idle' ? (
            <span data-testid="sweep-elapsed" data-ms={Math.round(elapsedMs)}>
              {fmtMs(elapsedMs)}
            </span>
          ) : null}
          {backend ? <span className="muted"> · {backend}</span> : null}
        </span>
      </div>
      {message ? <div className="field-error">{message}</div> : null}
    </div>
  );
}

/** Opens a trial as an added run, as a history entry of its own (Back removes it again). */
function openAsRun(r: TrialResult): void {
  pushChange(() => useSweepStore.getState().openTrial(r));
}

/** What the last click on the map did, with a way to the run (or to a new tab when the page is full). */
function OpenedNote({ opened, results }: { opened: OpenedTrial; results: readonly TrialResult[] }) {
  if (opened.run !== null) {
    return (
      <p className="small sweep-opened" role="status" data-testid="sweep-opened" data-run={opened.run}>
        Trial #{opened.trial} added as run “{opened.label}” (not started: Train starts it).{' '}
        <button type="button" className="link" onClick={() => document.querySelectorAll('.run-summary')[opened.run!]?.scrollIntoView({ behavior: 'smooth', block: 'center' })}>
          show it
        </button>{' '}
        <span className="muted">Back in the browser returns to the runs before.</span>
      </p>
    );
  }
  const r = results.find((x) => x.point + 1 === opened.trial && x.config?.label === opened.label);
  const url = r ? trialUrl(r, pageBase()) : null;
  return (
    <p className="small sweep-opened full" role="status" data-testid="sweep-opened" data-run="">
      The page already trains {MAX_RUNS} runs, its most: remove one to add trial #{opened.trial} here, or{' '}
      {url ? (
        <a href={url} target="_blank" rel="noopener" data-testid="sweep-open-tab">
          open trial #{opened.trial} in a new tab
        </a>
      ) : (
        'open its link in a new tab'
      )}
      .
    </p>
  );
}

function Results() {
  const { config, results, running, opened } = useSweepStore(useShallow((s) => ({ config: s.config, results: s.results, running: s.running, opened: s.opened })));
  const openTrial = openAsRun;
  const runningSpecs = useMemo(() => Object.values(running).map((r) => r.spec), [running]);
  if (!config) return <p className="muted small">Run a sweep to see where training stays stable. Each finished trial appears on the map; click it to add it to the page as a run.</p>;
  const range = colorRange(config, results);
  const nVariants = config.compare ? 2 : 1;
  const change = config.compare ? describeCompare(config.compare) : '';
  const labels = nVariants === 2 ? [`without ${change}`, `with ${change}`] : [config.base.label];
  const perVariant = Array.from({ length: nVariants }, (_, v) => {
    const rs = results.filter((r) => r.variant === v);
    let best: TrialResult | null = null;
    for (const r of rs) if (better(r, best)) best = r;
    return { rs, best, diverged: rs.filter((r) => r.diverged).length };
  });
  const axes = config.params.map((p: SweepParam) => paramLabel(p.path)).join(' × ');
  return (
    <div className="sweep-results">
      <div className={`sweep-maps n${nVariants}`}>
        {perVariant.map(({ rs, best, diverged }, v) => (
          <figure key={v} className="chart sweep-figure" data-testid={`sweep-variant-${v}`}>
            <figcaption>
              <span>
                Stability map: {axes}
                {nVariants === 2 ? ` — ${labels[v]}` : ''}: <span data-testid="sweep-diverged-count">{diverged}</span> of {rs.length} diverged
              </span>
              <PngButton
                name={nVariants === 2 ? `sweep-map-${v}` : 'sweep-map'}
                runLabel={`sweep of run “${config.base.label}”: ${config.method}, ${config.stepsPerTrial} steps per trial`}
              />
            </figcaption>
            <StabilityMap cfg={config} results={results} running={runningSpecs} variant={v} range={range} title={`Stability map ${labels[v]}`} onOpen={openTrial} />
            <MapLegend cfg={config} range={range} />
            {best ? (
              <div className="small no-export" data-testid="sweep-best">
                Best: {describeTrial(config, best)}{' '}
                <button type="button" className="link" onClick={() => openTrial(best!)} title="Add this trial to the page as a run">
                  open as a run
                </button>
              </div>
            ) : null}
          </figure>
        ))}
      </div>
      {opened ? <OpenedNote opened={opened} results={results} /> : null}
    </div>
  );
}

export function SweepPanel() {
  const { open, setOpen } = useSweepStore(useShallow((s) => ({ open: s.open, setOpen: s.setOpen })));
  return (
    <section className="sweep-panel" data-testid="sweep-panel" aria-label="Hyper-parameter sweep and stability map">
      <h2>
        <button type="button" className="sweep-toggle" data-testid="sweep-toggle" aria-expanded={open} onClick={() => setOpen(!open)}>
          {open ? '▾' : '▸'} Sweep &amp; stability map
        </button>{' '}
        <span className="muted small">train many short runs over a grid of settings and see where training explodes</span>
      </h2>
      {open ? (
        <div className="sweep-body">
          <div className="sweep-left">
            <SweepForm />
            <Controls />
          </div>
          <Results />
        </div>
      ) : null}
    </section>
  );
}
