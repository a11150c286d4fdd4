/**
 * Telemetry overhead, measured side by side: gradscope's Trainer (one tf.tidy
 * step with per-layer norms, clipping, masked commit; k steps read back with one
 * data()) against a bare tfjs loop on the same model shape, data and batch
 * (`optimizer.minimize` with tf.train.sgd; the k losses of a chunk are stacked
 * and read back with one data()). Runs in Node and in the bench page's worker:
 * imports tfjs-core and the engine only, the host picks the backend.
 *
 * The two loops alternate chunk by chunk (A B, B A, A B, ...), each chunk being
 * k steps and one readback, so that both see the same machine load. Pairs hit
 * by a stall (either chunk > 2.5× its loop's lower quartile) are dropped; the ratio is
 * total time of b over total time of a on the rest (see ABResult.ratio).
 */
import * as tf from '../../src/engine/tf.ts';
import type { RunConfig } from '../../src/engine/config.ts';
import { Trainer, type TrainerOptions } from '../../src/engine/trainer.ts';
import { BatchStream, makeDataset } from '../../src/engine/data/datasets.ts';
import { buildModel, crossEntropy, disposeModel, forward, type Model } from '../../src/engine/model.ts';

export interface Loop {
  readonly name: string;
  /** Runs k steps and reads their numbers back once. */
  chunk(k: number): Promise<void>;
  dispose(): void;
}

export class GradscopeLoop implements Loop {
  readonly name = 'gradscope';
  readonly trainer: Trainer;
  constructor(cfg: RunConfig, opts: TrainerOptions = {}) {
    this.trainer = new Trainer(cfg, opts);
  }
  async chunk(k: number): Promise<void> {
    await this.trainer.runStepsPacked(k);
  }
  dispose(): void {
    this.trainer.dispose();
  }
}

/** What a tfjs user writes without telemetry: minimize(loss) with tf.train.sgd. */
export class BareLoop implements Loop {
  readonly name = 'bare';
  readonly model: Model;
  private readonly x: tf.Tensor;
  private readonly y: tf.Tensor;
  private readonly batches: BatchStream;
  private readonly optimizer: tf.Optimizer;
  private readonly batchSize: number;
  constructor(cfg: RunConfig) {
    const d = makeDataset(cfg);
    this.batchSize = Math.min(cfg.train.batchSize, d.nTrain);
    this.x = tf.tensor(d.xTrain, [d.nTrain, ...d.inputShape], 'float32');
    this.y = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(d.yTrain, 'int32'), d.nClasses), 'float32'));
    this.batches = new BatchStream(d.nTrain, cfg.seed);
    this.model = buildModel(cfg, d.inputShape, d.nClasses);
    this.optimizer = tf.train.sgd(cfg.optimizer.lr);
  }
  /** One step, inside the caller's tidy; returns the loss scalar. */
  step(): tf.Scalar {
    const idx = tf.tensor1d(this.batches.next(this.batchSize), 'int32');
    const xb = tf.gather(this.x, idx);
    const yb = tf.gather(this.y, idx);
    return this.optimizer.minimize(() => crossEntropy(forward(this.model, xb, { training: true }), yb), true, this.model.trainable)!;
  }
  async chunk(k: number): Promise<void> {
    const losses = tf.tidy(() => {
      const ls: tf.Scalar[] = [];
      for (let i = 0; i < k; i++) ls.push(this.step());
      return tf.stack(ls);
    });
    try {
      await losses.data();
    } finally {
      losses.dispose();
    }
  }
  dispose(): void {
    disposeModel(this.model);
    this.optimizer.dispose();
    this.x.dispose();
    this.y.dispose();
  }
}

export interface ABOptions {
  /** Stop after this much wall time of pairs (warm-up not included)... */
  budgetMs: number;
  /** ...but measure at least this many pairs... */
  minPairs?: number;
  /** ...and at most this many. */
  maxPairs?: number;
  /** Minimum warm-up time per loop (the first steps compile shaders on GPU backends). */
  warmupMs: number;
  /**
   * Chunk size: steps per readback chosen so that a gradscope chunk takes about
   * this long (default 15 ms; the app's worker aims at 40 ms). Short chunks make
   * stalls rare within a chunk, so that stalled pairs can be dropped.
   */
  targetChunkMs?: number;
  maxChunk?: number;
  /** Fixed chunk size (overrides targetChunkMs). */
  chunk?: number;
  now?: () => number;
  /** Process CPU time in ms (Node only). */
  cpuNow?: () => number;
  log?: (line: string) => void;
}

/** A chunk slower than this many times its loop's lower-quartile chunk was stalled by other work. */
export const STALL_FACTOR = 2.5;

/** One A chunk and one B chunk run back to back (order alternates from pair to pair). */
export interface ABPair {
  aMs: number;
  bMs: number;
  aCpuMs?: number;
  bCpuMs?: number;
  aFirst: boolean;
}

export interface ABResult {
  a: string;
  b: string;
  /** steps per chunk (one readback per chunk) */
  chunk: number;
  warmupMs: number;
  /** wall time of each loop's very first step (includes shader compilation on GPU backends) */
  firstStepMs: { a: number; b: number };
  pairs: number;
  /**
   * (steps/s of a) / (steps/s of b) = Σ time of b / Σ time of a over the clean
   * pairs: pairs in which neither chunk took more than STALL_FACTOR × its loop's
   * lower-quartile chunk time (a stall: the OS or the hypervisor ran something
   * else). Not biased against the loop with the longer chunks, as a median of
   * single-pair ratios is.
   */
  ratio: number;
  /** pairs kept */
  cleanPairs: number;
  /** the clean pairs cut into up to 9 consecutive blocks: median, smallest and largest block ratio */
  blockMedianRatio: number;
  ratioMin: number;
  ratioMax: number;
  /** Σ time of b / Σ time of a over all pairs */
  pooledRatio: number;
  /** median of the single-pair ratios (for reference) */
  pairMedianRatio: number;
  /** the same from process CPU time (Node only) */
  cpuRatio?: number;
  /** steps/s of each loop over the clean pairs (Σ steps / Σ time) */
  aRate: number;
  bRate: number;
  /** at most 400 pairs, for the record */
  pairTimes: ABPair[];
}

export function median(xs: number[]): number {
  return quantile(xs, 0.5);
}

export function quantile(xs: number[], q: number): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((p, r) => p - r);
  if (s.length === 0) return NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

async function warm(loop: Loop, minMs: number, now: () => number, log?: (line: string) => void): Promise<number[]> {
  const t0 = now();
  const times: number[] = [];
  // At least 3 single steps (the first ones compile shaders on GPU backends), then
  // more until minMs has passed, unless steps are slow (> 1 s: a software GPU).
  while (times.length < 3 || (now() - t0 < minMs && times[times.length - 1] < 1000)) {
    const c0 = now();
    await loop.chunk(1);
    times.push(now() - c0);
  }
  log?.(`warm-up ${loop.name}: ${times.map((t) => t.toFixed(0)).join(' ')} ms per step`);
  return times;
}

async function timed(loop: Loop, k: number, now: () => number, cpuNow?: () => number): Promise<[number, number | undefined]> {
  const c0 = cpuNow?.();
  const t0 = now();
  await loop.chunk(k);
  const ms = now() - t0;
  return [ms, cpuNow && c0 !== undefined ? cpuNow() - c0 : undefined];
}

/**
 * Interleaved A/B, chunk by chunk: A B, B A, A B, ... Each pair of adjacent
 * chunks sees nearly the same machine load, so the median of the per-pair
 * ratios is robust on a shared machine where other work comes in bursts.
 */
export async function interleavedAB(a: Loop, b: Loop, o: ABOptions): Promise<ABResult> {
  const now = o.now ?? (() => performance.now());
  const wa = await warm(a, o.warmupMs, now, o.log);
  const wb = await warm(b, o.warmupMs, now, o.log);
  let k = o.chunk ?? 0;
  if (!k) {
    // Size the chunk from a's step time, as the app's worker does; the fastest
    // warm-up step is the best guess on a busy machine.
    const perStep = Math.min(...wa.slice(1));
    k = Math.max(1, Math.min(o.maxChunk ?? 16, Math.round((o.targetChunkMs ?? 15) / Math.max(perStep, 1e-3))));
  }
  if (k > 1) {
    await a.chunk(k);
    await b.chunk(k);
  }
  const pairs: ABPair[] = [];
  const start = now();
  const minPairs = o.minPairs ?? 3;
  const maxPairs = o.maxPairs ?? 100_000;
  while (pairs.length < maxPairs && (pairs.length < minPairs || now() - start < o.budgetMs)) {
    const aFirst = pairs.length % 2 === 0;
    let ra: [number, number | undefined];
    let rb: [number, number | undefined];
    if (aFirst) {
      ra = await timed(a, k, now, o.cpuNow);
      rb = await timed(b, k, now, o.cpuNow);
    } else {
      rb = await timed(b, k, now, o.cpuNow);
      ra = await timed(a, k, now, o.cpuNow);
    }
    pairs.push({ aMs: ra[0], bMs: rb[0], aCpuMs: ra[1], bCpuMs: rb[1], aFirst });
  }
  const sum = (xs: number[]) => xs.reduce((p, q) => p + q, 0);
  const limA = STALL_FACTOR * quantile(pairs.map((p) => p.aMs), 0.25);
  const limB = STALL_FACTOR * quantile(pairs.map((p) => p.bMs), 0.25);
  const clean = pairs.filter((p) => p.aMs <= limA && p.bMs <= limB);
  const nBlocks = Math.min(9, clean.length);
  const blockRatios: number[] = [];
  for (let i = 0; i < nBlocks; i++) {
    const blk = clean.slice(Math.floor((i * clean.length) / nBlocks), Math.floor(((i + 1) * clean.length) / nBlocks));
    blockRatios.push(sum(blk.map((p) => p.bMs)) / sum(blk.map((p) => p.aMs)));
  }
  const aCpu = pairs.map((p) => p.aCpuMs).filter((x): x is number => x !== undefined);
  const bCpu = pairs.map((p) => p.bCpuMs).filter((x): x is number => x !== undefined);
  const r: ABResult = {
    a: a.name,
    b: b.name,
    chunk: k,
    warmupMs: Math.round(sum(wa) + sum(wb)),
    firstStepMs: { a: wa[0], b: wb[0] },
    pairs: pairs.length,
    ratio: sum(clean.map((p) => p.bMs)) / sum(clean.map((p) => p.aMs)),
    cleanPairs: clean.length,
    blockMedianRatio: median(blockRatios),
    ratioMin: Math.min(...blockRatios),
    ratioMax: Math.max(...blockRatios),
    pooledRatio: sum(pairs.map((p) => p.bMs)) / sum(pairs.map((p) => p.aMs)),
    pairMedianRatio: median(pairs.map((p) => p.bMs / p.aMs)),
    cpuRatio: aCpu.length && sum(aCpu) > 0 ? sum(bCpu) / sum(aCpu) : undefined,
    aRate: (clean.length * k * 1000) / sum(clean.map((p) => p.aMs)),
    bRate: (clean.length * k * 1000) / sum(clean.map((p) => p.bMs)),
    pairTimes: pairs.slice(0, 400).map((p) => ({ ...p, aMs: +p.aMs.toFixed(3), bMs: +p.bMs.toFixed(3) })),
  };
  o.log?.(`${r.cleanPairs}/${r.pairs} pairs of ${k}-step chunks: ratio ${r.ratio.toFixed(2)} (blocks ${r.ratioMin.toFixed(2)}–${r.ratioMax.toFixed(2)}), ${r.aRate.toFixed(1)} vs ${r.bRate.toFixed(1)} steps/s`);
  return r;
}

/** Builds both loops for a config, measures them, disposes them. */
export async function measureCell(cfg: RunConfig, o: ABOptions): Promise<ABResult & { tensorsLeft: number }> {
  const before = tf.memory().numTensors;
  const gs = new GradscopeLoop(cfg);
  const bare = new BareLoop(cfg);
  let r: ABResult;
  try {
    r = await interleavedAB(gs, bare, o);
  } finally {
    gs.dispose();
    bare.dispose();
  }
  // Reported, not hidden: tensors either loop left behind (should be 0).
  return { ...r, tensorsLeft: tf.memory().numTensors - before };
}
