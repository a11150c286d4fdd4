/** The view slice: layout and display options (not mirrored in the URL). */
import type { StateCreator } from 'zustand';
import type { State } from '../store.ts';

export type Layout = 'columns' | 'overlay';

export interface ViewSlice {
  layout: Layout;
  smoothing: number;
  logScale: boolean;
  showClipped: boolean;
  hiddenLayers: Record<string, boolean>;
  setView(p: Partial<Pick<ViewSlice, 'layout' | 'smoothing' | 'logScale' | 'showClipped'>>): void;
  toggleLayer(name: string): void;
}

export const viewSlice: StateCreator<State, [], [], ViewSlice> = (set, get) => ({
  layout: 'overlay',
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
