/**
 * Bench page: starts the bench worker(s) and exposes the result as
 * `window.__bench` ({ done, result | error, progress }) for the driver
 * (bench/browser.mjs).
 *   mode=ab    one worker: gradscope vs bare tfjs on the chosen backend
 *   mode=init  `reps` fresh workers, each timing tfjs's initialisation of the backend
 *   mode=rank  one worker: the "fastest" backend choice for each model against longer measurements
 *   mode=pace, playground, dispatch  one worker each (see bench-worker.ts)
 */
interface BenchState {
  done: boolean;
  result?: unknown;
  error?: string;
  progress: string[];
  /** cells finished so far (mode=ab), so that a driver that gives up keeps them */
  cells: unknown[];
}
const state: BenchState = { done: false, progress: [], cells: [] };
(window as unknown as { __bench: BenchState }).__bench = state;
const out = document.querySelector('[data-testid="bench"]')!;
const q = new URLSearchParams(location.search);
const mode = q.get('mode') ?? 'ab';

function finish(r: { result?: unknown; error?: string }): void {
  Object.assign(state, r, { done: true });
  out.textContent = JSON.stringify(r, null, 2);
  (out as HTMLElement).dataset.state = r.error ? 'error' : 'done';
}

function runWorker(msg: Record<string, unknown>): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('./bench-worker.ts', import.meta.url), { type: 'module' });
    w.onmessage = (e: MessageEvent<{ type: string; text?: string; cell?: unknown; result?: unknown; error?: string }>) => {
      const m = e.data;
      if (m.type === 'progress') {
        state.progress.push(m.text ?? '');
        if (m.cell) state.cells.push(m.cell);
        out.textContent = state.progress.join('\n');
      } else if (m.type === 'done') {
        w.terminate();
        if (m.error) reject(new Error(m.error));
        else resolve(m.result);
      }
    };
    w.onerror = (e) => {
      w.terminate();
      reject(new Error(`worker error: ${e.message || 'failed to load'}`));
    };
    w.postMessage(msg);
  });
}

async function main(): Promise<void> {
  const backend = q.get('backend') ?? 'cpu';
  try {
    if (mode === 'init') {
      const reps = Number(q.get('reps') ?? 3);
      const runs = [];
      for (let i = 0; i < reps; i++) runs.push(await runWorker({ mode, backend }));
      finish({ result: { backend, runs } });
    } else if (mode === 'rank') {
      const models = (q.get('models') ?? '').split(',').filter(Boolean);
      finish({ result: await runWorker({ mode, backend: 'auto', models }) });
    } else {
      const models = (q.get('models') ?? '').split(',').filter(Boolean);
      const result = await runWorker({ mode, backend, models, quick: q.get('quick') === '1', budgetMs: Number(q.get('budgetMs') ?? 0), epochLoss: q.get('epochLoss') === '1' });
      finish({ result });
    }
  } catch (e) {
    finish({ error: e instanceof Error ? e.message : String(e) });
  }
}
void main();
