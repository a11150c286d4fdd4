/**
 * The data set of a run, generated on the main thread for the preview panel
 * and the theory line only (the worker generates its own copy for training).
 * `makeDataset` is pure JS and seeded, so these are the very same numbers.
 * Image sets are capped to a few examples: the first examples generated are
 * the same whatever the sample count.
 */
import type { RunConfig } from '../engine/config.ts';
import { makeDataset, type Dataset } from '../engine/data/datasets.ts';

/** Examples generated for an image-set preview. */
export const IMAGE_PREVIEW_SAMPLES = 48;

export interface DatasetView {
  data: Dataset;
  /** Whether the examples are only the first few of a larger set. */
  capped: boolean;
  /** Mean of x_i² over the training examples and input coordinates (for the theory line). */
  inputMeanSquare: number;
}

let lastKey = '';
let last: DatasetView | null = null;
const cache = new Map<string, DatasetView>();

export function datasetView(cfg: Pick<RunConfig, 'data' | 'seed'>): DatasetView {
  const isImage = cfg.data.name === 'shapes';
  const samples = isImage ? Math.min(cfg.data.samples, IMAGE_PREVIEW_SAMPLES) : cfg.data.samples;
  const key = JSON.stringify([cfg.data.name, samples, cfg.data.noise, cfg.data.testFraction, cfg.seed]);
  if (key === lastKey && last) return last;
  let v = cache.get(key);
  if (!v) {
    const data = makeDataset({ seed: cfg.seed, data: { ...cfg.data, samples } });
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
