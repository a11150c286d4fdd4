import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { defaultExperiment, defaultRunConfig, type Experiment } from '../../engine/config.ts';
import { NO_CHECKSUM_NOTE, encodeExperiment, experimentToFragment } from '../../engine/shareLink.ts';
import { SWEEP_PRESETS } from '../../engine/sweep/meta.ts';
import { BACKEND_CHOICES } from '../../engine/backends.ts';
import { startingExperiment } from '../presets.ts';
import { createPage } from '../store.ts';
import { useSweepStore } from '../sweep/sweepStore.ts';
import { bannerText } from './banner.ts';
import type { WorkerClient } from './workerClient.ts';
import { PageUrl, WRITE_DELAY_MS, pageFragment, shareUrl, type UrlEnv } from './url.ts';

const noWorkers: WorkerClient = {
  has: () => false,
  create: () => {},
  start: () => {},
  pause: () => {},
  stepOnce: () => {},
  reset: () => {},
  update: () => {},
  exportRecords: () => Promise.resolve({ records: [], keptEvery: 1 }),
  watchUnits: () => {},
  terminate: () => {},
  terminateAll: () => {},
};

const sweepAtStart = useSweepStore.getState();

/** A page at `hash`: fake location and history, its own page store, the sweep store as it is at load. */
function openPage(hash: string) {
  const location = { hash, origin: 'http://127.0.0.1:5173', pathname: '/gradscope/' };
  const writes: string[] = [];
  let onHash: (() => void) | null = null;
  const env: UrlEnv = {
    location,
    history: {
      replaceState(_data, _unused, url) {
        writes.push(url);
        location.hash = url === '#' ? '' : url;
      },
    },
    onHashChange(fn) {
      onHash = fn;
      return () => (onHash = null);
    },
  };
  const { useStore } = createPage(() => noWorkers, { cores: () => 2, hidden: () => false, onVisibilityChange: () => {}, clearMetrics: () => {} });
  const url = new PageUrl(env, { page: useStore, sweep: useSweepStore });
  url.boot();
  return {
    url,
    writes,
    location,
    page: () => useStore.getState(),
    banner: () => bannerText(useStore.getState().banner),
    /** The user edits the address bar (or follows a link to this page). */
    navigate(h: string) {
      location.hash = h;
      onHash?.();
    },
  };
}

const exp2: Experiment = { v: 1, runs: [defaultRunConfig({ label: 'slow', optimizer: { lr: 0.001 } }), defaultRunConfig({ label: 'fast', seed: 3 })] };
const link = (exp: Experiment, extra = '') => `#${experimentToFragment(exp)}${extra}`;
const SWEEP = SWEEP_PRESETS[0].sweep;
const BAD_SWEEP = { ...SWEEP, params: [{ path: 'optimizer.lr', scale: 'log', min: 0, max: 1 }] };
const sweepOption = (s: unknown) => `&sweep=${encodeURIComponent(JSON.stringify(s))}`;

let pages: PageUrl[] = [];
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
  useSweepStore.setState(sweepAtStart, true);
  pages = [];
});
afterEach(() => {
  for (const p of pages) p.dispose();
  vi.useRealTimers();
});
function open(hash: string) {
  const p = openPage(hash);
  pages.push(p.url);
  return p;
}

describe('the page URL', () => {
  it('a link with a valid experiment and a bad backend keeps the backend warning while the experiment loads', () => {
    const p = open(link(exp2, '&backend=tpu'));
    expect(p.page().experiment).toEqual(exp2);
    expect(p.page().backendChoice).toBe('auto');
    expect(p.banner()).toBe(`share URL: backend must be one of ${BACKEND_CHOICES.join(' | ')}, got "tpu"`);
    // The link is written back as what the page runs: the experiment on auto.
    expect(p.writes).toEqual([link(exp2)]);
    vi.advanceTimersByTime(1000);
    expect(p.banner()).toMatch(/backend must be one of/);
  });

  it('a link with an engine builds its runs on it and keeps it in the URL, next to the backend', () => {
    const p = open(link(exp2, '&backend=wasm&engine=tfjs'));
    expect(p.page().engineChoice).toBe('tfjs');
    expect(p.page().backendChoice).toBe('wasm');
    expect(p.banner()).toBeNull();
    expect(p.writes).toEqual([]);
    p.page().setEngineChoice('typed');
    vi.advanceTimersByTime(WRITE_DELAY_MS);
    expect(p.location.hash).toBe(link(exp2, '&backend=wasm&engine=typed'));
    p.page().setEngineChoice('auto');
    vi.advanceTimersByTime(WRITE_DELAY_MS);
    expect(p.location.hash).toBe(link(exp2, '&backend=wasm'));
  });

  it('a bad engine keeps its own warning, names the allowed values, and the run uses auto', () => {
    const p = open(link(exp2, '&engine=fast'));
    expect(p.page().experiment).toEqual(exp2);
    expect(p.page().engineChoice).toBe('auto');
    expect(p.banner()).toBe('share URL: engine must be one of auto | tfjs | typed, got "fast"');
    expect(p.writes).toEqual([link(exp2)]);
  });

  it('a link with a backend runs on it and keeps it in the URL', () => {
    const p = open(link(exp2, '&backend=wasm'));
    expect(p.page().backendChoice).toBe('wasm');
    expect(p.banner()).toBeNull();
    // Already canonical: nothing to write.
    expect(p.writes).toEqual([]);
    p.page().setBackendChoice('cpu');
    vi.advanceTimersByTime(WRITE_DELAY_MS);
    expect(p.location.hash).toBe(link(exp2, '&backend=cpu'));
    p.page().setBackendChoice('auto');
    vi.advanceTimersByTime(WRITE_DELAY_MS);
    expect(p.location.hash).toBe(link(exp2));
  });

  it('no fragment: the starting experiment (presets.ts), written to the URL at once', () => {
    const p = open('');
    expect(p.page().experiment).toEqual(startingExperiment());
    expect(p.banner()).toBeNull();
    expect(p.writes).toEqual([link(startingExperiment())]);
  });

  it('a hand-written JSON fragment loads and is rewritten in the compact form', () => {
    const p = open(`#${encodeURIComponent(JSON.stringify({ v: 1, runs: [{ label: 'mine', seed: 5 }] }))}`);
    expect(p.page().experiment.runs[0]).toMatchObject({ label: 'mine', seed: 5 });
    expect(p.location.hash).toBe(`#${experimentToFragment(p.page().experiment)}`);
    expect(p.banner()).toBeNull();
  });

  it('a link whose experiment does not validate shows why, runs the starting experiment and stays in the address bar until an edit', () => {
    const bad = `#${encodeURIComponent(JSON.stringify({ v: 1, runs: [{ model: { hidden: [16, 5000] } }] }))}`;
    const p = open(bad);
    expect(p.banner()).toMatch(/^This link's experiment was not loaded: share URL: runs\[0\]\.model\.hidden\[1\]: must be an integer 1\.\.1024, got 5000/);
    expect(p.page().experiment).toEqual(startingExperiment());
    vi.advanceTimersByTime(1000);
    expect(p.writes).toEqual([]);
    expect(p.location.hash).toBe(bad);
    p.page().editRun(0, (d) => (d.seed = 9));
    vi.advanceTimersByTime(WRITE_DELAY_MS);
    expect(p.location.hash).toBe(link(p.page().experiment));
    // The message stays until dismissed.
    expect(p.banner()).toMatch(/experiment was not loaded/);
    p.page().clearBanner();
    expect(p.banner()).toBeNull();
  });

  it('a bad experiment and a bad backend: both messages, in one banner', () => {
    const p = open('#e=N4IgbiBcCMA0ICcCuA7AzlA2qANgQwCM&backend=x');
    expect(p.banner()).toMatch(/^This link's experiment was not loaded: share URL: .* — share URL: backend must be one of .*got "x"$/);
  });

  it('edits are written once, after the debounce', () => {
    const p = open(link(exp2));
    expect(p.writes).toEqual([]);
    for (let k = 1; k <= 5; k++) {
      p.page().editRun(0, (d) => (d.optimizer.lr = k / 100));
      vi.advanceTimersByTime(WRITE_DELAY_MS / 2);
    }
    expect(p.writes).toEqual([]);
    vi.advanceTimersByTime(WRITE_DELAY_MS);
    expect(p.writes).toEqual([link(p.page().experiment)]);
    expect(p.page().experiment.runs[0].optimizer.lr).toBe(0.05);
  });

  it('a link with a sweep opens the sweep panel with it and keeps it in the URL', () => {
    const p = open(sweepOption(SWEEP));
    const s = useSweepStore.getState();
    expect(s).toMatchObject({ open: true, inUrl: true, draftErrors: [] });
    expect(s.draft.params).toEqual(SWEEP.params);
    expect(p.banner()).toBeNull();
    expect(p.location.hash).toMatch(/^#e=[^&]+&sum=[0-9a-f]{6}&sweep=[^&]+$/);
    expect(p.location.hash).toBe(`#${pageFragment(p.page(), useSweepStore.getState())}`);
    // A sweep edit rewrites the fragment, experiment included.
    useSweepStore.getState().setDraft({ ...s.draft, stepsPerTrial: 77 });
    vi.advanceTimersByTime(WRITE_DELAY_MS);
    expect(p.writes).toHaveLength(2);
    const again = open(p.location.hash);
    expect(useSweepStore.getState().draft.stepsPerTrial).toBe(77);
    expect(again.page().experiment).toEqual(p.page().experiment);
  });

  it('an unused sweep panel stays out of the URL; an invalid draft is not written', () => {
    const p = open(link(exp2));
    vi.advanceTimersByTime(1000);
    expect(p.location.hash).toBe(link(exp2));
    useSweepStore.getState().setOpen(true);
    vi.advanceTimersByTime(WRITE_DELAY_MS);
    expect(p.location.hash).toMatch(/&sweep=/);
    useSweepStore.getState().setDraft({ ...useSweepStore.getState().draft, stepsPerTrial: -1 });
    vi.advanceTimersByTime(WRITE_DELAY_MS);
    expect(p.location.hash).toBe(link(exp2));
  });

  it('a link whose sweep does not validate shows why and keeps the experiment', () => {
    const p = open(link(exp2, sweepOption(BAD_SWEEP)));
    expect(p.banner()).toMatch(/^This link's sweep was not loaded: share URL: sweep params\[0\]\.min: must be > 0 for a log scale, got 0/);
    expect(p.page().experiment).toEqual(exp2);
    expect(useSweepStore.getState().inUrl).toBe(false);
    expect(p.location.hash).toBe(link(exp2));
  });

  it('a hashchange loads the new link; each part clears only its own message', () => {
    const p = open(link(exp2, '&backend=tpu'));
    expect(p.banner()).toMatch(/backend/);
    p.navigate(link(defaultExperiment(), '&backend=tpu' + sweepOption(BAD_SWEEP)));
    expect(p.page().experiment).toEqual(defaultExperiment());
    expect(p.banner()).toMatch(/backend must be .* — This link's sweep was not loaded/);
    p.navigate(link(exp2, '&backend=webgl'));
    expect(p.page().experiment).toEqual(exp2);
    expect(p.page().backendChoice).toBe('webgl');
    expect(p.banner()).toBeNull();
  });

  it('a hashchange to a bad link does not let a pending write overwrite it', () => {
    const p = open(link(exp2));
    p.page().editRun(0, (d) => (d.seed = 11));
    p.navigate('#e=garbage');
    vi.advanceTimersByTime(1000);
    expect(p.location.hash).toBe('#e=garbage');
    expect(p.banner()).toMatch(/experiment was not loaded/);
  });

  it('an older link without a checksum loads with a note, and is written back with one', () => {
    const p = open(`#e=${encodeExperiment(exp2)}&backend=wasm`);
    expect(p.page().experiment).toEqual(exp2);
    expect(p.page().backendChoice).toBe('wasm');
    expect(p.banner()).toBe(NO_CHECKSUM_NOTE);
    expect(p.location.hash).toBe(link(exp2, '&backend=wasm'));
    // the note is about the link that was opened: a link with a checksum clears it
    p.navigate(link(exp2));
    expect(p.banner()).toBeNull();
  });

  it('a link whose checksum does not match its experiment is refused, naming the link part; nothing of it loads', () => {
    const good = link(exp2, '&backend=cpu');
    const damaged = good.replace(/e=(.{20})(.)/, (_, a: string, c: string) => `e=${a}${c === 'A' ? 'B' : 'A'}`);
    const p = open(damaged);
    expect(p.banner()).toMatch(/^This link's experiment was not loaded: share URL: the experiment part of the link \(e=, \d+ characters\) does not match its checksum \(sum=[0-9a-f]{6}\): the link was changed or cut when it was copied; copy it again$/);
    expect(p.page().experiment).toEqual(startingExperiment());
    vi.advanceTimersByTime(1000);
    expect(p.location.hash).toBe(damaged);
    // the same with the checksum damaged instead
    const p2 = open(good.replace(/sum=../, 'sum=zz'));
    expect(p2.banner()).toMatch(/checksum \(sum=zz[0-9a-f]{4}\) is not 6 hexadecimal digits/);
  });

  it('parts of a link that are not understood are named; a valid experiment still loads', () => {
    const p = open(link(exp2, '&backnd=cpu&=N4Ig'));
    expect(p.page().experiment).toEqual(exp2);
    expect(p.page().backendChoice).toBe('auto');
    expect(p.banner()).toBe(`This link's parts "backnd=cpu", "=N4Ig" were not understood and ignored`);
    // a link of one unknown part: the default experiment, and why
    p.navigate(`#c=${encodeExperiment(exp2)}`);
    expect(p.page().experiment).toEqual(startingExperiment());
    expect(p.banner()).toMatch(/^This link's part "c=N4Ig[^"]*\.\.\." was not understood and ignored$/);
    // many: five are listed
    p.navigate(`${link(exp2)}&a=1&b=2&c=3&d=4&f=5&g=6&h=7`);
    expect(p.banner()).toBe(`This link's parts "a=1", "b=2", "c=3", "d=4", "f=5" and 2 more were not understood and ignored`);
  });

  it("the page's own links load without a note (every option it writes is one it reads)", () => {
    const p = open(link(exp2, '&backend=wasm'));
    useSweepStore.getState().setOpen(true);
    vi.advanceTimersByTime(WRITE_DELAY_MS);
    expect(p.location.hash).toMatch(/&backend=wasm&sweep=/);
    const again = open(p.location.hash);
    expect(again.banner()).toBeNull();
    expect(again.page().experiment).toEqual(exp2);
  });

  it('the share link is the page address with the fragment', () => {
    const p = open(link(exp2, '&backend=wasm'));
    expect(shareUrl(p.location, p.page(), useSweepStore.getState())).toBe(`http://127.0.0.1:5173/gradscope/${link(exp2, '&backend=wasm')}`);
  });
});

// A change as a history entry (opening a sweep trial as a run).
import { pushPageChange } from './url.ts';

describe('a change as a history entry (pushPageChange)', () => {
  /** A page whose history is a stack of entries, with Back. */
  function pageWithHistory(hash: string) {
    const location = { hash, origin: 'http://127.0.0.1:5173', pathname: '/' };
    const entries = [hash];
    let at = 0;
    let onHash: (() => void) | null = null;
    const history = {
      replaceState(_d: unknown, _u: string, url: string) {
        entries[at] = url;
        location.hash = url;
      },
      pushState(_d: unknown, _u: string, url: string) {
        entries.splice(at + 1, entries.length, url);
        at++;
        location.hash = url;
      },
    };
    const env: UrlEnv = { location, history, onHashChange: (fn) => ((onHash = fn), () => (onHash = null)) };
    const { useStore } = createPage(() => noWorkers, { cores: () => 2, hidden: () => false, onVisibilityChange: () => {}, clearMetrics: () => {} });
    const stores = { page: useStore, sweep: useSweepStore };
    const url = new PageUrl(env, stores);
    url.boot();
    pages.push(url);
    return {
      env: { location, history },
      stores,
      entries,
      page: () => useStore.getState(),
      back() {
        at--;
        location.hash = entries[at];
        onHash?.();
      },
    };
  }

  it('adds an entry after bringing the current one up to date; Back returns to the page before the change', () => {
    const p = pageWithHistory(link(exp2));
    // An edit still waiting for its debounced write belongs to the entry Back returns to.
    p.page().editRun(0, (d) => (d.seed = 21));
    const edited = p.page().experiment;
    pushPageChange(p.env, p.stores, () => p.page().addRun(defaultRunConfig({ label: '#3 lr 0.1' })));
    expect(p.entries).toEqual([link(edited), link(p.page().experiment)]);
    expect(p.page().experiment.runs.map((r) => r.label)).toEqual(['slow', 'fast', '#3 lr 0.1']);
    vi.advanceTimersByTime(1000);
    expect(p.entries).toHaveLength(2);
    p.back();
    expect(p.page().experiment).toEqual(edited);
    vi.advanceTimersByTime(1000);
    expect(p.entries).toEqual([link(edited), expect.any(String)]);
  });

  it('a change that changes nothing adds no entry', () => {
    const p = pageWithHistory(link(exp2));
    pushPageChange(p.env, p.stores, () => {});
    expect(p.entries).toEqual([link(exp2)]);
  });
});

describe('the view in the link (view=)', () => {
  it('side by side on one scale is the default and stays out of the link; other views round-trip', () => {
    const p = open(link(exp2));
    expect(p.page()).toMatchObject({ layout: 'columns', sharedScales: true });
    vi.advanceTimersByTime(1000);
    expect(p.location.hash).toBe(link(exp2));
    p.page().setView({ layout: 'overlay', sharedScales: false });
    vi.advanceTimersByTime(WRITE_DELAY_MS);
    expect(p.location.hash).toBe(link(exp2, '&view=overlay.per-run-scales'));
    const again = open(p.location.hash);
    expect(again.page()).toMatchObject({ layout: 'overlay', sharedScales: false });
    expect(again.page().experiment).toEqual(exp2);
    p.page().setView({ layout: 'columns' });
    vi.advanceTimersByTime(WRITE_DELAY_MS);
    expect(p.location.hash).toBe(link(exp2, '&view=per-run-scales'));
  });

  it('a link without view= opens the default view; unknown tokens are ignored', () => {
    const p = open(link(exp2, '&view=overlay'));
    expect(p.page().layout).toBe('overlay');
    p.navigate(link(exp2));
    expect(p.page()).toMatchObject({ layout: 'columns', sharedScales: true });
    p.navigate(link(exp2, '&view=sideways.per-run-scales'));
    expect(p.page()).toMatchObject({ layout: 'columns', sharedScales: false });
    expect(p.banner()).toBeNull();
  });
});
