/**
 * The banner slice: the page's error banner, as messages by source. Every
 * message is about the page's link (its experiment, backend or sweep did not
 * load, or its engine; or, source 'link', parts of it were not understood, or it had no
 * checksum); the URL module (./url.ts) shows and clears them, each source on
 * its own, so that one part of a link loading fine does not hide another
 * part's warning. The banner shows them together; dismissing it or loading a
 * preset clears them all.
 */
import type { StateCreator } from 'zustand';
import type { State } from '../store.ts';

export type BannerSource = 'experiment' | 'backend' | 'engine' | 'sweep' | 'link';

/** The order the messages are shown in. */
export const BANNER_SOURCES: readonly BannerSource[] = ['experiment', 'backend', 'engine', 'sweep', 'link'];

export type BannerMessages = Partial<Record<BannerSource, string>>;

export interface BannerSlice {
  banner: BannerMessages;
  showBanner(source: BannerSource, message: string): void;
  /** Clears one source's message, or every message. */
  clearBanner(source?: BannerSource): void;
}

export const bannerSlice: StateCreator<State, [], [], BannerSlice> = (set, get) => ({
  banner: {},
  showBanner(source, message) {
    if (get().banner[source] !== message) set({ banner: { ...get().banner, [source]: message } });
  },
  clearBanner(source) {
    const b = get().banner;
    if (source === undefined) {
      if (Object.keys(b).length) set({ banner: {} });
    } else if (b[source] !== undefined) {
      const { [source]: _gone, ...rest } = b;
      set({ banner: rest });
    }
  },
});

/** The banner's text (null: nothing to show). */
export function bannerText(b: BannerMessages): string | null {
  const parts = BANNER_SOURCES.map((s) => b[s]).filter((m): m is string => !!m);
  return parts.length ? parts.join(' — ') : null;
}
