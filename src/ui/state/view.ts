/**
 * The view slice: layout and display options. The layout and the scale toggle
 * are part of the share link (`view=` in the fragment, see ./url.ts and
 * `viewOption` below); smoothing, log scale and hidden lines are not.
 *
 * `presentation` (larger text, high-contrast colours, see palette.ts) belongs
 * to the screen, not to the experiment: it is remembered in this browser
 * (localStorage) rather than carried by share links, so a lecturer's laptop
 * stays in presentation mode for every link it opens while students who open
 * the same links on their phones get the ordinary page.
 */
import type { StateCreator } from 'zustand';
import type { State } from '../store.ts';

/** 'columns': every run's per-layer charts side by side; 'overlay': one run's at a time (tabs). */
export type Layout = 'columns' | 'overlay';

/** localStorage key of presentation mode ('1' on). */
export const PRESENTATION_KEY = 'gradscope.presentation';

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
  presentation: boolean;
  /**
   * The layer picked in the network view or in a chart (its name): its lines are
   * drawn bold in every chart and its column marked in the network view; null: none.
   */
  highlightLayer: string | null;
  /** The network view of a run shown (true) or folded (false); absent: the default (networkViewDefault). */
  networkOpen: Record<number, boolean>;
  setHighlightLayer(name: string | null): void;
  setNetworkOpen(run: number, open: boolean): void;
  setView(p: Partial<Pick<ViewSlice, 'layout' | 'sharedScales' | 'smoothing' | 'logScale' | 'showClipped'>>): void;
  toggleLayer(name: string): void;
  setPresentation(on: boolean): void;
}

/** The browser's storage, where there is one (none in Node; access may throw in a sandboxed frame). */
function storage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

function storedPresentation(): boolean {
  try {
    return storage()?.getItem(PRESENTATION_KEY) === '1';
  } catch {
    return false;
  }
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

/** The network view is shown by default for MLPs of up to 8 hidden layers; folded for deeper nets and CNNs. */
export function networkViewDefault(model: { arch: string; hidden: readonly number[] }): boolean {
  return model.arch === 'mlp' && model.hidden.length <= 8;
}

export const viewSlice: StateCreator<State, [], [], ViewSlice> = (set, get) => ({
  ...DEFAULT_VIEW,
  smoothing: 0,
  logScale: true,
  showClipped: true,
  hiddenLayers: {},
  presentation: storedPresentation(),
  highlightLayer: null,
  networkOpen: {},
  setHighlightLayer: (name) => set({ highlightLayer: name }),
  setNetworkOpen: (run, open) => set({ networkOpen: { ...get().networkOpen, [run]: open } }),
  setView: (p) => set(p),
  toggleLayer(name) {
    const h = { ...get().hiddenLayers };
    h[name] = !h[name];
    set({ hiddenLayers: h });
  },
  setPresentation(on) {
    set({ presentation: on });
    try {
      if (on) storage()?.setItem(PRESENTATION_KEY, '1');
      else storage()?.removeItem(PRESENTATION_KEY);
    } catch {
      // Storage full or refused: the mode still applies to this page.
    }
  },
});
