/**
 * The URL fragment always holds the whole experiment (contract section 2).
 * On load: decode and validate it; a bad fragment shows the error banner and
 * the default experiment, and nothing runs from it. On every edit: replace the
 * history entry (no entry per keystroke).
 */
import { defaultExperiment, experimentToFragment, parseFragment } from '../engine/config.ts';
import { BACKEND_CHOICES, type BackendChoice } from '../engine/backends.ts';
import { useStore } from './store.ts';
import { sweepFragmentOptions } from './sweep/sweepUrl.ts';

let writing = false;
let timer: ReturnType<typeof setTimeout> | null = null;

function pageOptions(): Record<string, string> {
  const b = useStore.getState().backendChoice;
  return { ...(b === 'auto' ? {} : { backend: b }), ...sweepFragmentOptions() };
}

export function currentShareUrl(): string {
  const { experiment } = useStore.getState();
  return `${location.origin}${location.pathname}#${experimentToFragment(experiment, pageOptions())}`;
}

function writeUrl(): void {
  const frag = `#${experimentToFragment(useStore.getState().experiment, pageOptions())}`;
  if (location.hash === frag) return;
  writing = true;
  history.replaceState(null, '', frag);
  writing = false;
}

function loadFromHash(): void {
  const { experiment, options } = parseFragment(location.hash);
  const store = useStore.getState();
  let backend: BackendChoice = 'auto';
  if (options.backend) {
    if ((BACKEND_CHOICES as string[]).includes(options.backend)) backend = options.backend as BackendChoice;
    else store.setBanner(`share URL: backend must be one of ${BACKEND_CHOICES.join(' | ')}, got "${options.backend}"`);
  }
  useStore.setState({ backendChoice: backend });
  if (experiment === null) {
    store.loadExperiment(defaultExperiment());
  } else if (!experiment.ok) {
    useStore.setState({ banner: `This link's experiment was not loaded: ${experiment.errors.join('; ')}` });
    store.loadExperiment(defaultExperiment());
  } else {
    store.setBanner(null);
    store.loadExperiment(experiment.value);
  }
}

export function bootFromUrl(): void {
  loadFromHash();
  // A bad fragment stays in the address bar until the user edits something,
  // so the link can be inspected; valid experiments are written back at once.
  if (!useStore.getState().banner) writeUrl();
  useStore.subscribe((s, prev) => {
    if (s.experiment !== prev.experiment || s.backendChoice !== prev.backendChoice) {
      if (timer) clearTimeout(timer);
      timer = setTimeout(writeUrl, 150);
    }
  });
  window.addEventListener('hashchange', () => {
    if (!writing) loadFromHash();
  });
}
