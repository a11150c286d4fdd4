/**
 * The sweep in the page's URL: `#e=<experiment>&sweep=<lz-string of the sweep
 * config>`. Once the panel has been used, every valid edit of the sweep replaces
 * the history entry; urlSync keeps the key when it rewrites the experiment (it
 * asks `sweepFragmentOptions`). A link whose sweep does not validate shows the
 * message in the page's error banner and leaves the panel's default sweep.
 */
import { encodeSweep, parseSweepFragment, sweepToJson, SWEEP_FRAGMENT_KEY } from '../../engine/sweep/schema.ts';
import { useStore } from '../store.ts';
import { draftConfig, useSweepStore } from './sweepStore.ts';

/** The `sweep=` option of the page's fragment ({} while the panel is unused or the draft invalid). */
export function sweepFragmentOptions(): Record<string, string> {
  // urlSync rewrites the fragment at boot: read the link's sweep before it does.
  ensureLoaded();
  const s = useSweepStore.getState();
  if (!s.inUrl) return {};
  const cfg = draftConfig(s.draft);
  return cfg ? { [SWEEP_FRAGMENT_KEY]: encodeSweep(cfg) } : {};
}

/** Rewrites only the `sweep=` part of the current fragment. */
function writeSweepToUrl(): void {
  const frag = location.hash.replace(/^#/, '');
  // A hand-written plain-JSON fragment is rewritten by urlSync first; leave it alone.
  if (frag.startsWith('{') || /^%7b/i.test(frag)) return;
  const parts = frag.split('&').filter((p) => p && !p.startsWith(`${SWEEP_FRAGMENT_KEY}=`));
  const value = sweepFragmentOptions()[SWEEP_FRAGMENT_KEY];
  if (value !== undefined) parts.push(`${SWEEP_FRAGMENT_KEY}=${encodeURIComponent(value)}`);
  const next = `#${parts.join('&')}`;
  if (next !== location.hash && !(next === '#' && !location.hash)) history.replaceState(null, '', next);
}

function loadSweepFromHash(): void {
  const r = parseSweepFragment(location.hash);
  if (r === null) return;
  if (!r.ok) {
    const msg = `This link's sweep was not loaded: ${r.errors.join('; ')}`;
    const prev = useStore.getState().banner;
    useStore.setState({ banner: prev ? `${prev} — ${msg}` : msg });
    return;
  }
  useSweepStore.setState({ draft: sweepToJson(r.value), draftErrors: [], open: true, inUrl: true });
}

let loaded = false;
function ensureLoaded(): void {
  if (loaded) return;
  loaded = true;
  loadSweepFromHash();
}

let booted = false;
let timer: ReturnType<typeof setTimeout> | null = null;

/** Reads the sweep from the URL (once), then keeps the URL up to date. */
export function bootSweepUrl(): void {
  if (booted) return;
  booted = true;
  ensureLoaded();
  useSweepStore.subscribe((s, prev) => {
    if (s.draft !== prev.draft || s.inUrl !== prev.inUrl) {
      if (timer) clearTimeout(timer);
      timer = setTimeout(writeSweepToUrl, 150);
    }
  });
  window.addEventListener('hashchange', loadSweepFromHash);
}
