import { useState } from 'react';
import { figureToPng } from './chartPng.ts';
import { downloadBlob } from './download.ts';

/** A caption button that downloads its chart (the enclosing <figure>) as a PNG. */
export function PngButton({ name }: { name: string }) {
  const [error, setError] = useState<string | null>(null);
  const onClick = async (e: React.MouseEvent<HTMLButtonElement>) => {
    const fig = e.currentTarget.closest('figure');
    if (!fig) return;
    try {
      const blob = await figureToPng(fig);
      downloadBlob(`gradscope-${name}.png`, blob);
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
