/**
 * The view slice: layout and display options (not mirrored in the URL).
 *
 * `presentation` (larger text, high-contrast colours, see palette.ts) belongs
 * to the screen, not to the experiment: it is remembered in this browser
 * (localStorage) rather than carried by share links, so a lecturer's laptop
 * stays in presentation mode for every link it opens while students who open
 * the same links on their phones get the ordinary page.
 */
import type { StateCreator } from 'zustand';
import type { State } from '../store.ts';

export type Layout = 'columns' | 'overlay';

/** localStorage key of presentation mode ('1' on). */
export const PRESENTATION_KEY = 'gradscope.presentation';

export interface ViewSlice {
  layout: Layout;
  smoothing: number;
  logScale: boolean;
  showClipped: boolean;
  hiddenLayers: Record<string, boolean>;
  presentation: boolean;
  setView(p: Partial<Pick<ViewSlice, 'layout' | 'smoothing' | 'logScale' | 'showClipped'>>): void;
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

export const viewSlice: StateCreator<State, [], [], ViewSlice> = (set, get) => ({
  layout: 'overlay',
  smoothing: 0,
  logScale: true,
  showClipped: true,
  hiddenLayers: {},
  presentation: storedPresentation(),
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
