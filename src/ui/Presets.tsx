import { useMemo } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { shareUrl } from '../engine/config.ts';
import { PRESETS, presetById, presetExperiment } from './presets.ts';
import { useStore } from './store.ts';

/** Each preset's share-URL fragment, computed once. */
let hrefs: Map<string, string> | null = null;
function presetHref(id: string): string {
  hrefs ??= new Map(PRESETS.map((p) => [p.id, `#${shareUrl(presetExperiment(p), '').split('#')[1]}`]));
  return hrefs.get(id) ?? '#';
}

/** Preset buttons, and the note of the preset in use (what to watch for). */
export function Presets() {
  const { presetId, loadPreset, dismissPreset, experiment } = useStore(
    useShallow((s) => ({ presetId: s.presetId, loadPreset: s.loadPreset, dismissPreset: s.dismissPreset, experiment: s.experiment })),
  );
  const preset = presetId ? presetById(presetId) : undefined;
  const edited = useMemo(() => (preset ? JSON.stringify(presetExperiment(preset)) !== JSON.stringify(experiment) : false), [preset, experiment]);
  return (
    <section className="presets" aria-label="Presets">
      <details open>
        <summary>Presets: experiments to try</summary>
        <div className="preset-list">
          {PRESETS.map((p) => (
            <a
              key={p.id}
              href={presetHref(p.id)}
              className={`preset${p.id === presetId ? ' active' : ''}`}
              aria-current={p.id === presetId ? 'true' : undefined}
              data-testid={`preset-${p.id}`}
              title={p.watch}
              onClick={(e) => {
                // A plain click loads it here; the link itself is the preset's share URL.
                if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
                e.preventDefault();
                loadPreset(p.id);
              }}
            >
              {p.title}
            </a>
          ))}
        </div>
      </details>
      {preset ? (
        <div className="preset-note" role="note" data-testid="preset-note" data-preset={preset.id}>
          <div>
            <strong>{preset.title}</strong>
            {edited ? <span className="muted"> (edited)</span> : null}
            <span className="muted"> — what to watch for: </span>
            {preset.watch}
          </div>
          <button type="button" className="icon" onClick={dismissPreset} aria-label="Hide the preset note">
            ×
          </button>
        </div>
      ) : null}
    </section>
  );
}
