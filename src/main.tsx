import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './ui/App.tsx';
import { bootUrl } from './ui/state/url.ts';
import { controller, useStore } from './ui/store.ts';
import { metrics } from './ui/metrics.ts';
import { PRESETS, presetExperiment } from './ui/presets.ts';
import './ui/styles.css';

bootUrl();
controller.watchVisibility();
// Introspection for browser tests and curious users (read-only use).
(window as unknown as { gradscope: unknown }).gradscope = {
  store: useStore,
  metrics,
  runClient: controller.client,
  presets: PRESETS.map((p) => ({ id: p.id, title: p.title, experiment: presetExperiment(p) })),
};
// Offline after the first load: the built app precaches itself (src/offline.ts).
if (import.meta.env.PROD && 'serviceWorker' in navigator) {
  navigator.serviceWorker.register('./sw.js').catch(() => {
    // No service worker (private mode, file://): the app works online as before.
  });
}
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
