import { downloadText } from './download.ts';
import { useState } from 'react';
import { csvHeader, recordToCsv, recordToJson, type StepRecord } from '../engine/records.ts';
import { controller, useStore } from './store.ts';
import { currentShareUrl } from './state/url.ts';
import { Icon } from './Icon.tsx';

async function allRecords(): Promise<StepRecord[][]> {
  const n = useStore.getState().experiment.runs.length;
  return Promise.all(Array.from({ length: n }, async (_, i) => (await controller.client.exportRecords(i)).records));
}

export function ShareExport() {
  const [copied, setCopied] = useState<string | null>(null);
  const share = async () => {
    const url = currentShareUrl();
    try {
      await navigator.clipboard.writeText(url);
      setCopied('Link copied');
    } catch {
      setCopied('Copy the link from the address bar');
    }
    setTimeout(() => setCopied(null), 2500);
  };
  const exportJson = async () => {
    const runs = await allRecords();
    const lines = runs.flat().map(recordToJson).join('\n');
    downloadText('gradscope-records.jsonl', lines + '\n', 'application/x-ndjson');
  };
  const exportCsv = async () => {
    const runs = await allRecords();
    const names = [...new Set(runs.flat().flatMap((r) => r.layers.map((l) => l.name)))];
    const text = [csvHeader(names), ...runs.flat().map((r) => recordToCsv(r, names))].join('\n');
    downloadText('gradscope-records.csv', text + '\n', 'text/csv');
  };
  return (
    <div className="share">
      <button type="button" data-testid="share-link" onClick={share} title="Copy a link that reproduces this experiment">
        <Icon name="link" /> Share
      </button>
      <button type="button" data-testid="export-json" onClick={exportJson} title="Download every step record (JSON lines, contract format)">
        <Icon name="download" /> JSON
      </button>
      <button type="button" data-testid="export-csv" onClick={exportCsv} title="Download every step record as CSV">
        <Icon name="download" /> CSV
      </button>
      <span role="status" aria-live="polite" className="muted" data-testid="share-status">
        {copied}
      </span>
    </div>
  );
}
