/**
 * The view slice: layout and display options. The layout and the scale toggle
 * are part of the share link (`view=` in the fragment, see ./url.ts and
 * `viewOption` below); smoothing, log scale and hidden lines are not.
 */
import type { StateCreator } from 'zustand';
import type { State } from '../store.ts';

/** 'columns': every run's per-layer charts side by side; 'overlay': one run's at a time (tabs). */
export type Layout = 'columns' | 'overlay';

export interface ViewSlice {
  layout: Layout;
  /**
   * Side by side, the runs' per-layer charts share one y range and the
   * heatmaps one colour range (false: each run's chart fits its own data).
   */
  sharedScales: boolean;
  smoothing: number;
  logScale: boolean;
  showClipped: boolean;
  hiddenLayers: Record<string, boolean>;
  setView(p: Partial<Pick<ViewSlice, 'layout' | 'sharedScales' | 'smoothing' | 'logScale' | 'showClipped'>>): void;
  toggleLayer(name: string): void;
}

/** The part of the view a share link carries. */
export type LinkedView = Pick<ViewSlice, 'layout' | 'sharedScales'>;

/** Runs side by side on one scale. */
export const DEFAULT_VIEW: LinkedView = { layout: 'columns', sharedScales: true };

/** Fragment key of the linked view. */
export const VIEW_FRAGMENT_KEY = 'view';

const PER_RUN_SCALES = 'per-run-scales';

/**
 * The `view=` value of a view: its tokens joined by '.', e.g. `overlay`,
 * `per-run-scales`, `overlay.per-run-scales`; undefined for the default view
 * (columns, shared scales), which links leave out.
 */
export function viewOption(v: LinkedView): string | undefined {
  const tokens: string[] = [];
  if (v.layout !== DEFAULT_VIEW.layout) tokens.push(v.layout);
  if (v.sharedScales !== DEFAULT_VIEW.sharedScales) tokens.push(PER_RUN_SCALES);
  return tokens.length ? tokens.join('.') : undefined;
}

/**
 * The view of a link's `view=` value (undefined: the default view). Unknown
 * tokens are ignored: the view is presentation only, and a link from a later
 * version still opens.
 */
export function parseViewOption(value: string | undefined): LinkedView {
  const v: LinkedView = { ...DEFAULT_VIEW };
  for (const t of (value ?? '').split('.')) {
    if (t === 'columns' || t === 'overlay') v.layout = t;
    else if (t === PER_RUN_SCALES) v.sharedScales = false;
    else if (t === 'shared-scales') v.sharedScales = true;
  }
  return v;
}

/** Whether the linked part of the view differs between two states. */
export function viewChanged(a: LinkedView, b: LinkedView): boolean {
  return a.layout !== b.layout || a.sharedScales !== b.sharedScales;
}

export const viewSlice: StateCreator<State, [], [], ViewSlice> = (set, get) => ({
  ...DEFAULT_VIEW,
  smoothing: 0,
  logScale: true,
  showClipped: true,
  hiddenLayers: {},
  setView: (p) => set(p),
  toggleLayer(name) {
    const h = { ...get().hiddenLayers };
    h[name] = !h[name];
    set({ hiddenLayers: h });
  },
});
