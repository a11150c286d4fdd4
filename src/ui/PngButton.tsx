import { useState } from 'react';
import { figureToPng } from './chartPng.ts';
import { downloadBlob } from './download.ts';

/**
 * A caption button that downloads its chart (the enclosing <figure>) as a PNG
 * that stands alone: title, run, chart, legend and what the chart shows
 * (chartPng.ts). `runLabel` and `explain` override what the figure says itself.
 * After a download the button carries what the image says (`data-png`: JSON of
 * its text and size), for tests and curious readers.
 */
export function PngButton({ name, runLabel, explain }: { name: string; runLabel?: string; explain?: string }) {
  const [error, setError] = useState<string | null>(null);
  const onClick = async (e: React.MouseEvent<HTMLButtonElement>) => {
    const button = e.currentTarget;
    const fig = button.closest('figure');
    if (!fig) return;
    try {
      const png = await figureToPng(fig, name, { runLabel, explain });
      button.dataset.png = JSON.stringify({ ...png.text, width: png.width, height: png.height });
      downloadBlob(`gradscope-${name}.png`, png.blob);
      setError(null);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <span className="png-export no-export">
      <button type="button" className="png" onClick={onClick} data-testid={`png-${name}`} title="Download this chart as a PNG image" aria-label="Download this chart as PNG">
        PNG
      </button>
      {error ? (
        <small className="field-error" role="alert">
          {error}
        </small>
      ) : null}
    </span>
  );
}
