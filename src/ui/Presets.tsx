import { useLayoutEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type { Preset } from './presets.ts';
import { useShallow } from 'zustand/react/shallow';
import { shareUrl } from '../engine/shareLink.ts';
import { PRESETS, nextPreset, presetById, presetExperiment } from './presets.ts';
import { useStore } from './store.ts';

/** Each preset's share-URL fragment, computed once. */
let hrefs: Map<string, string> | null = null;
function presetHref(id: string): string {
  hrefs ??= new Map(PRESETS.map((p) => [p.id, `#${shareUrl(presetExperiment(p), '').split('#')[1]}`]));
  return hrefs.get(id) ?? '#';
}

/** A link to a preset: its share URL; a plain click loads it here. */
function PresetLink({ id, className, testId, title, children }: { id: string; className: string; testId: string; title?: string; children: ReactNode }) {
  const loadPreset = useStore((s) => s.loadPreset);
  const active = useStore((s) => s.presetId === id);
  return (
    <a
      href={presetHref(id)}
      className={`${className}${active ? ' active' : ''}`}
      aria-current={active ? 'true' : undefined}
      data-testid={testId}
      title={title}
      onClick={(e) => {
        // Modified clicks keep the browser's meaning (new tab, new window).
        if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
        e.preventDefault();
        loadPreset(id);
      }}
    >
      {children}
    </a>
  );
}

/**
 * Preset buttons in one row (it scrolls sideways on narrow screens, so the
 * charts stay on the first screen), and the note of the preset in use: what to
 * watch for and the preset to try next.
 */
export function Presets() {
  const { presetId, dismissPreset, experiment } = useStore(
    useShallow((s) => ({ presetId: s.presetId, dismissPreset: s.dismissPreset, experiment: s.experiment })),
  );
  const preset = presetId ? presetById(presetId) : undefined;
  const edited = useMemo(() => (preset ? JSON.stringify(presetExperiment(preset)) !== JSON.stringify(experiment) : false), [preset, experiment]);
  return (
    <section className="presets" aria-label="Presets">
      <div className="preset-list">
        <span className="preset-list-label">Presets</span>
        {PRESETS.map((p) => (
          <PresetLink key={p.id} id={p.id} className="preset" testId={`preset-${p.id}`} title={p.watch}>
            {p.title}
          </PresetLink>
        ))}
      </div>
      {preset ? <PresetNote key={preset.id} preset={preset} edited={edited} onDismiss={dismissPreset} /> : null}
    </section>
  );
}

/**
 * What to watch for in a preset, and the next one. On a narrow screen the text
 * is cut to three lines (More shows the rest) so that the charts stay on the
 * first screen; the Next link always shows.
 */
function PresetNote({ preset, edited, onDismiss }: { preset: Preset; edited: boolean; onDismiss: () => void }) {
  const next = nextPreset(preset.id);
  const [more, setMore] = useState(false);
  const [cut, setCut] = useState(false);
  const textRef = useRef<HTMLParagraphElement>(null);
  useLayoutEffect(() => {
    const el = textRef.current;
    if (!el || more) return;
    const measure = () => setCut(el.scrollHeight > el.clientHeight + 1);
    measure();
    const ro = typeof ResizeObserver === 'function' ? new ResizeObserver(measure) : null;
    ro?.observe(el);
    return () => ro?.disconnect();
  }, [more, preset.id]);
  return (
    <div className="preset-note" role="note" data-testid="preset-note" data-preset={preset.id}>
      <div className="preset-note-body">
        <p ref={textRef} className={more ? undefined : 'clamp'}>
          <strong>{preset.title}</strong>
          {edited ? <span className="muted"> (edited)</span> : null}: {preset.watch}
        </p>
        {cut || more ? (
          <button type="button" className="link-button" aria-expanded={more} onClick={() => setMore(!more)}>
            {more ? 'Less' : 'More'}
          </button>
        ) : null}{' '}
        {next ? (
          <PresetLink id={next.id} className="preset-next" testId="preset-next" title={next.watch}>
            Next: {next.title} →
          </PresetLink>
        ) : null}
      </div>
      <button type="button" className="icon" onClick={onDismiss} aria-label="Hide the preset note">
        ×
      </button>
    </div>
  );
}
