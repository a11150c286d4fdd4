import { downloadText } from './download.ts';
import { useState } from 'react';
import { exportCsv, exportJson, exportJsonl, keptNote, type ExportInput } from '../engine/exportDoc.ts';
import { controller, useStore } from './store.ts';
import { currentShareUrl } from './state/url.ts';
import { Icon } from './Icon.tsx';

/**
 * Everything an export holds: the experiment, its share link and every run's
 * records (every step, or every k-th where the run outgrew the worker's record
 * budget: the files say so). Formats: engine/exportDoc.ts.
 */
async function collect(): Promise<ExportInput> {
  const experiment = useStore.getState().experiment;
  const url = currentShareUrl();
  const runs = await Promise.all(
    experiment.runs.map(async (cfg, i) => {
      const { records, keptEvery } = await controller.client.exportRecords(i);
      return { run: i, label: cfg.label, keptEvery, records };
    }),
  );
  return { experiment, url, runs };
}

const FORMATS = {
  json: { file: 'gradscope-export.json', type: 'application/json', make: exportJson },
  jsonl: { file: 'gradscope-records.jsonl', type: 'application/x-ndjson', make: exportJsonl },
  csv: { file: 'gradscope-records.csv', type: 'text/csv', make: exportCsv },
} as const;

export function ShareExport() {
  const [status, setStatus] = useState<string | null>(null);
  const say = (text: string, ms = 2500) => {
    setStatus(text);
    setTimeout(() => setStatus((s) => (s === text ? null : s)), ms);
  };
  const share = async () => {
    const url = currentShareUrl();
    try {
      await navigator.clipboard.writeText(url);
      say('Link copied');
    } catch {
      say('Copy the link from the address bar');
    }
  };
  const download = async (format: keyof typeof FORMATS) => {
    const f = FORMATS[format];
    const x = await collect();
    downloadText(f.file, f.make(x), f.type);
    const notes = x.runs.map(keptNote).filter((n) => n !== null);
    const steps = x.runs.reduce((n, r) => n + r.records.length, 0);
    say(notes.length ? `Exported ${steps} records; ${notes.join('; ')}` : `Exported ${steps} records`, notes.length ? 10_000 : 2500);
  };
  return (
    <div className="share">
      <button type="button" data-testid="share-link" onClick={share} title="Copy a link that reproduces this experiment">
        <Icon name="link" /> Share
      </button>
      <span className="export-buttons" role="group" aria-label="Download the step records of every run, with the experiment">
        <button
          type="button"
          data-testid="export-json"
          onClick={() => download('json')}
          title="One JSON document: the experiment (as gradscope run reads it) and every step record of every run"
        >
          <Icon name="download" /> JSON
        </button>
        <button type="button" data-testid="export-jsonl" onClick={() => download('jsonl')} title="JSON lines: a first line with the experiment, then one step record per line">
          <Icon name="download" /> JSONL
        </button>
        <button
          type="button"
          data-testid="export-csv"
          onClick={() => download('csv')}
          title="CSV: a first line '# experiment: <share link>' (skip it when reading), then one row per step record"
        >
          <Icon name="download" /> CSV
        </button>
      </span>
      <span role="status" aria-live="polite" className="muted" data-testid="share-status">
        {status}
      </span>
    </div>
  );
}
