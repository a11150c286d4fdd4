/**
 * The page's URL fragment, whole: `#e=<experiment>&sum=<checksum>&backend=<choice>&engine=<choice>&sweep=<sweep>`
 * (contract section 2). `backend=` and `engine=` are there unless the choice is auto;
 * `sweep=` once the sweep panel has been used or a link brought a sweep, while
 * the sweep draft validates. This module is the one that reads and writes the
 * fragment, and the one that reports, in the page's banner, what a link could
 * not load.
 *
 * Reading (at boot and on hashchange): each part is validated on its own. A
 * part that does not validate shows its message (banner source 'experiment',
 * 'backend', 'engine' or 'sweep') and leaves the page's default; a part that loads
 * clears only its own message, so a bad `backend=` keeps its warning while a
 * good experiment loads. Parts nobody reads (a misspelled option, `=abc`) are
 * named (banner source 'link'), and so is a link without a checksum (`sum=`,
 * an older link: it loads as it is). A link whose checksum does not match its
 * experiment is refused like any experiment that does not validate. A link whose experiment did not load stays in the
 * address bar, so it can be inspected, until something is edited; any other
 * link is written back at once in canonical form.
 *
 * Writing: every change of the experiment, the backend or engine choice or the sweep
 * draft replaces the history entry, debounced (no entry per keystroke).
 *
 * The location, history and hashchange event are injected (`UrlEnv`): the
 * module runs in Node with fakes (state/url.test.ts).
 */
import type { StoreApi } from 'zustand';
import { experimentToFragment, parseFragment, unknownLinkParts } from '../../engine/shareLink.ts';
import { SWEEP_FRAGMENT_KEY, decodeSweep, encodeSweep, sweepToJson } from '../../engine/sweep/schema.ts';
import { BACKEND_CHOICES, type BackendChoice } from '../../engine/backends.ts';
import { ENGINE_CHOICES, isEngineChoice, type EngineChoice } from '../../engine/engines.ts';
import { startingExperiment } from '../presets.ts';
import { useStore, type State } from '../store.ts';
import { draftConfig, useSweepStore, type SweepState } from '../sweep/sweepStore.ts';
import { VIEW_FRAGMENT_KEY, parseViewOption, viewChanged, viewOption } from './view.ts';

export interface UrlEnv {
  location: { readonly hash: string; readonly origin: string; readonly pathname: string };
  history: { replaceState(data: unknown, unused: string, url: string): void };
  /** Calls fn on every hashchange; returns the unsubscribe. */
  onHashChange(fn: () => void): () => void;
}

export interface UrlStores {
  page: StoreApi<State>;
  sweep: StoreApi<SweepState>;
}

/**
 * The options a page link may hold besides its experiment (`e=`) and checksum
 * (`sum=`). Any other part is named in the banner as not understood: a new
 * option must be added here (the test "the page's own links load without a
 * note" fails otherwise).
 */
export const LINK_OPTIONS: readonly string[] = ['backend', 'engine', SWEEP_FRAGMENT_KEY, VIEW_FRAGMENT_KEY];

/** What the banner says about a link's unknown parts and its notes (null: nothing). */
export function linkRemarks(unknown: readonly string[], notes: readonly string[]): string | null {
  const out: string[] = [];
  if (unknown.length) {
    const shown = unknown.slice(0, 5).join(', ') + (unknown.length > 5 ? ` and ${unknown.length - 5} more` : '');
    out.push(`This link's ${unknown.length === 1 ? 'part' : 'parts'} ${shown} ${unknown.length === 1 ? 'was' : 'were'} not understood and ignored`);
  }
  out.push(...notes);
  return out.length ? out.join('; ') : null;
}

/** Debounce of URL writes, in ms. */
export const WRITE_DELAY_MS = 150;

/** The fragment (without '#') that holds the page's experiment, backend choice and sweep. */
export function pageFragment(page: State, sweep: SweepState): string {
  const options: Record<string, string> = {};
  if (page.backendChoice !== 'auto') options.backend = page.backendChoice;
  if (page.engineChoice !== 'auto') options.engine = page.engineChoice;
  if (viewOption(page)) options[VIEW_FRAGMENT_KEY] = viewOption(page)!;
  if (sweep.inUrl) {
    const cfg = draftConfig(sweep.draft);
    if (cfg) options[SWEEP_FRAGMENT_KEY] = encodeSweep(cfg);
  }
  return experimentToFragment(page.experiment, options);
}

/** The share link of a page at `loc` holding these stores' state. */
export function shareUrl(loc: UrlEnv['location'], page: State, sweep: SweepState): string {
  return `${loc.origin}${loc.pathname}#${pageFragment(page, sweep)}`;
}

/**
 * Loads a fragment into the stores (see the module comment); returns whether
 * the link's experiment loaded (or it held none).
 */
export function loadFragment(hash: string, { page, sweep }: UrlStores): boolean {
  const parsed = parseFragment(hash);
  const { experiment, options } = parsed;
  const { showBanner, clearBanner, loadExperiment } = page.getState();

  const remarks = linkRemarks(unknownLinkParts(parsed, LINK_OPTIONS), parsed.notes);
  if (remarks) showBanner('link', remarks);
  else clearBanner('link');

  let backend: BackendChoice = 'auto';
  const b = options.backend;
  if (b !== undefined && !(BACKEND_CHOICES as string[]).includes(b)) {
    showBanner('backend', `share URL: backend must be one of ${BACKEND_CHOICES.join(' | ')}, got "${b}"`);
  } else {
    if (b !== undefined) backend = b as BackendChoice;
    clearBanner('backend');
  }
  let engine: EngineChoice = 'auto';
  const en = options.engine;
  if (en !== undefined && !isEngineChoice(en)) {
    showBanner('engine', `share URL: engine must be one of ${ENGINE_CHOICES.join(' | ')}, got "${en}"`);
  } else {
    if (en !== undefined) engine = en;
    clearBanner('engine');
  }
  // Before the experiment loads: its runs are built on this backend and engine.
  page.setState({ backendChoice: backend, engineChoice: engine });
  // The layout and scales of the link (presentation only: a bad value leaves the default).
  page.setState(parseViewOption(options[VIEW_FRAGMENT_KEY]));

  let loaded = true;
  if (experiment === null) {
    clearBanner('experiment');
    loadExperiment(startingExperiment());
  } else if (!experiment.ok) {
    loaded = false;
    showBanner('experiment', `This link's experiment was not loaded: ${experiment.errors.join('; ')}`);
    loadExperiment(startingExperiment());
  } else {
    clearBanner('experiment');
    loadExperiment(experiment.value);
  }

  const s = options[SWEEP_FRAGMENT_KEY];
  if (s === undefined) {
    // No sweep in the link: the panel keeps its own.
    clearBanner('sweep');
  } else {
    const r = decodeSweep(s);
    if (!r.ok) {
      showBanner('sweep', `This link's sweep was not loaded: ${r.errors.join('; ')}`);
    } else {
      clearBanner('sweep');
      sweep.setState({ draft: sweepToJson(r.value), draftErrors: [], open: true, inUrl: true });
    }
  }
  return loaded;
}

/** Keeps the URL fragment and the stores in step (see the module comment). */
export class PageUrl {
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Changes made by reading the URL are not written back by the subscriptions. */
  private loading = false;
  private stop: (() => void)[] = [];

  constructor(
    private readonly env: UrlEnv,
    private readonly stores: UrlStores,
    private readonly delayMs = WRITE_DELAY_MS,
  ) {}

  /** Reads the link, then keeps the URL up to date and follows hashchanges. */
  boot(): void {
    if (this.stop.length) return;
    this.load();
    const { page, sweep } = this.stores;
    this.stop.push(
      page.subscribe((s, prev) => {
        if (s.experiment !== prev.experiment || s.backendChoice !== prev.backendChoice || s.engineChoice !== prev.engineChoice || viewChanged(s, prev)) this.schedule();
      }),
      sweep.subscribe((s, prev) => {
        if (s.draft !== prev.draft || s.inUrl !== prev.inUrl) this.schedule();
      }),
      // replaceState fires no hashchange: this is the user (or a link) changing it.
      this.env.onHashChange(() => this.load()),
    );
  }

  dispose(): void {
    for (const f of this.stop.splice(0)) f();
    this.cancel();
  }

  /** Reads the current fragment into the stores; writes it back in canonical form when its experiment loaded. */
  load(): void {
    this.cancel();
    this.loading = true;
    let loaded: boolean;
    try {
      loaded = loadFragment(this.env.location.hash, this.stores);
    } finally {
      this.loading = false;
    }
    if (loaded) this.write();
  }

  private schedule(): void {
    if (this.loading) return;
    this.cancel();
    this.timer = setTimeout(() => {
      this.timer = null;
      this.write();
    }, this.delayMs);
  }

  private cancel(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private write(): void {
    const frag = `#${pageFragment(this.stores.page.getState(), this.stores.sweep.getState())}`;
    if (this.env.location.hash !== frag) this.env.history.replaceState(null, '', frag);
  }
}

function browserEnv(): UrlEnv {
  return {
    location: window.location,
    history: window.history,
    onHashChange(fn) {
      window.addEventListener('hashchange', fn);
      return () => window.removeEventListener('hashchange', fn);
    },
  };
}

/** The page's URL, read at boot (main.tsx) and kept in step with the page's stores. */
export function bootUrl(): void {
  new PageUrl(browserEnv(), { page: useStore, sweep: useSweepStore }).boot();
}

/** The share link of the page as it is now. */
export function currentShareUrl(): string {
  return shareUrl(window.location, useStore.getState(), useSweepStore.getState());
}

/**
 * A change of the page as a new history entry (opening a sweep trial as a run):
 * the current entry is brought up to date first, so that Back (a hashchange,
 * which loads that entry's link) returns to the page as it was before `change`.
 * Every other change replaces the entry (PageUrl).
 */
export function pushPageChange(
  env: { location: UrlEnv['location']; history: UrlEnv['history'] & { pushState(data: unknown, unused: string, url: string): void } },
  stores: UrlStores,
  change: () => void,
): void {
  const frag = () => `#${pageFragment(stores.page.getState(), stores.sweep.getState())}`;
  const before = frag();
  if (env.location.hash !== before) env.history.replaceState(null, '', before);
  change();
  const after = frag();
  // The debounced write that `change` scheduled then finds the URL up to date.
  if (after !== before) env.history.pushState(null, '', after);
}

/** pushPageChange on the page's own URL and stores. */
export function pushChange(change: () => void): void {
  pushPageChange(window, { page: useStore, sweep: useSweepStore }, change);
}
