/**
 * The data set of a run, generated on the main thread for the preview panel
 * and the training points of the decision boundary (the worker generates its
 * own copy for training). `makeDataset` is pure JS and seeded, so these are the
 * very same numbers. Image sets are capped to a few examples per class. The
 * digits file is fetched here on first use (a lazy request, cached by the
 * service worker); until it arrives, and for a CSV whose file the page does not
 * have, the view says why there is nothing to show.
 */
import type { RunConfig } from '../engine/config.ts';
import { DataError, DataNotLoadedError, makeDataset, type Dataset } from '../engine/data/datasets.ts';
import { IMAGE_DATASETS, REGRESSION_DATASETS } from '../engine/meta.ts';
import { digitsUrl, loadRunData } from '../engine/data/load.ts';

/** Examples generated for an image-set preview (digits: 10 classes, a few each). */
export const IMAGE_PREVIEW_SAMPLES = 48;
const DIGITS_PREVIEW_SAMPLES = 60;

export interface DatasetView {
  data: Dataset;
  /** Whether the examples are only the first few of a larger set. */
  capped: boolean;
  /** Mean of x_i² over the training examples and input coordinates (for the theory line). */
  inputMeanSquare: number;
}

/** Nothing to show yet (`loading`: the digits file is on its way), or why not. */
export interface DatasetProblem {
  problem: 'loading' | 'missing' | 'error';
  message: string;
}

let lastKey = '';
let last: DatasetView | null = null;
const cache = new Map<string, DatasetView>();
const listeners = new Set<() => void>();

/** Called when data that views were waiting for has arrived (a component re-renders). */
export function onDataArrived(f: () => void): () => void {
  listeners.add(f);
  return () => listeners.delete(f);
}

function requestDigits(cfg: Pick<RunConfig, 'data' | 'seed'>): void {
  void loadRunData(cfg as RunConfig, digitsUrl(document.baseURI, false))
    .catch(() => undefined)
    .then(() => {
      for (const f of listeners) f();
    });
}

export function isProblem(v: DatasetView | DatasetProblem): v is DatasetProblem {
  return 'problem' in v;
}

export function datasetView(cfg: Pick<RunConfig, 'data' | 'seed'>): DatasetView | DatasetProblem {
  const isImage = IMAGE_DATASETS.includes(cfg.data.name);
  const cap = cfg.data.name === 'digits' ? DIGITS_PREVIEW_SAMPLES : IMAGE_PREVIEW_SAMPLES;
  const samples = isImage ? Math.min(cfg.data.samples, cap) : cfg.data.samples;
  const { csv } = cfg.data;
  const key = JSON.stringify([cfg.data.name, samples, cfg.data.noise, cfg.data.testFraction, cfg.data.standardize, cfg.data.task, cfg.data.target, csv?.sha256, csv?.text !== undefined, cfg.seed]);
  if (key === lastKey && last) return last;
  let v = cache.get(key);
  if (!v) {
    let data: Dataset;
    try {
      // A preview of a CNN set starts at its first examples: the digits' test split is drawn from the full set.
      data = makeDataset({ seed: cfg.seed, data: { ...cfg.data, samples, testFraction: isImage ? 0 : cfg.data.testFraction } });
    } catch (e) {
      if (e instanceof DataNotLoadedError) {
        if (cfg.data.name === 'digits') {
          requestDigits(cfg);
          return { problem: 'loading', message: 'Loading the handwritten digits…' };
        }
        return { problem: 'missing', message: e.message };
      }
      return { problem: 'error', message: e instanceof DataError ? e.message : String(e) };
    }
    let ms = 0;
    for (const x of data.xTrain) ms += x * x;
    const n = data.xTrain.length || 1;
    v = { data, capped: samples < cfg.data.samples, inputMeanSquare: ms / n };
    cache.set(key, v);
    // A few configurations are enough (one per run, plus the one being edited).
    if (cache.size > 8) cache.delete(cache.keys().next().value as string);
  }
  lastKey = key;
  last = v;
  return v;
}

/** Whether a run is a regression (its acc is R²): by the data set, or for a CSV by its parsed target. */
export function isRegressionRun(cfg: Pick<RunConfig, 'data' | 'seed'>): boolean {
  if (REGRESSION_DATASETS.includes(cfg.data.name)) return true;
  if (cfg.data.name !== 'csv') return false;
  const v = datasetView(cfg);
  return !isProblem(v) && v.data.task === 'regression';
}
