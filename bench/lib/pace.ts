/**
 * The loops of the "Playground pace" comparison, shared by the Node benchmark
 * (bench/node/typed.ts) and the bench page's worker (bench/page/bench-worker.ts):
 *
 *   TypedLoop       gradscope's typed engine (src/engine/typed), k steps and one packed readback
 *   PlaygroundLoop  the reimplementation of TensorFlow Playground's training loop
 *                   (bench/playground.ts) on the same net size, data and batch
 *
 * Plain TypeScript, no tfjs and no DOM: runs in Node and in a Web Worker.
 */
import type { RunConfig } from '../../src/engine/config.ts';
import { makeDataset } from '../../src/engine/data/datasets.ts';
import { TypedTrainer } from '../../src/engine/typed/trainer.ts';
import { PlaygroundNet } from '../playground.ts';
import { median, type Loop } from './ab.ts';

export class TypedLoop implements Loop {
  readonly name = 'typed';
  readonly trainer: TypedTrainer;
  constructor(cfg: RunConfig) {
    this.trainer = new TypedTrainer(cfg);
  }
  async chunk(k: number): Promise<void> {
    await this.trainer.runStepsPacked(k);
  }
  dispose(): void {
    this.trainer.dispose();
  }
}

/**
 * Playground's loop on the config's net: 2 → hidden (tanh) → 1 tanh output, labels ±1, square loss.
 * `epochLoss`: also the loss over every training and test point once per epoch, as Playground's oneStep().
 */
export class PlaygroundLoop implements Loop {
  readonly name: string;
  readonly net: PlaygroundNet;
  constructor(cfg: RunConfig, { epochLoss = false }: { epochLoss?: boolean } = {}) {
    const d = makeDataset(cfg);
    const pm = (y: number) => (y === 1 ? 1 : -1);
    const ys = Array.from(d.yTrain, pm);
    const test = epochLoss ? { xs: d.xTest, ys: Array.from(d.yTest, pm) } : null;
    this.name = epochLoss ? 'playground+loss' : 'playground';
    this.net = new PlaygroundNet([2, ...cfg.model.hidden, 1], d.xTrain, ys, cfg.train.batchSize, cfg.optimizer.lr, cfg.seed, test);
  }
  async chunk(k: number): Promise<void> {
    for (let i = 0; i < k; i++) this.net.step();
  }
  dispose(): void {}
}

/** Steps/s of one loop alone for about `ms` (chunks of `chunk` steps), after `warmMs` of warm-up. */
export async function rateAlone(loop: Loop, { ms, warmMs = 300, chunk = 50 }: { ms: number; warmMs?: number; chunk?: number }): Promise<{ steps: number; seconds: number; stepsPerSec: number }> {
  const t0 = performance.now();
  while (performance.now() - t0 < warmMs) await loop.chunk(chunk);
  const t1 = performance.now();
  let steps = 0;
  while (performance.now() - t1 < ms) {
    await loop.chunk(chunk);
    steps += chunk;
  }
  const seconds = (performance.now() - t1) / 1000;
  return { steps, seconds, stepsPerSec: steps / seconds };
}

/** Steps per chunk so that the slower loop's chunk takes about `ms` (from median single-step times, after a warm-up). */
export async function chunkFor(loops: Loop[], ms: number): Promise<number> {
  let slowest = 0;
  for (const l of loops) {
    const t0 = performance.now();
    while (performance.now() - t0 < 150) await l.chunk(1);
    const times: number[] = [];
    for (let i = 0; i < 21; i++) {
      const s = performance.now();
      await l.chunk(1);
      times.push(performance.now() - s);
    }
    slowest = Math.max(slowest, median(times));
  }
  return Math.max(1, Math.round(ms / slowest));
}

