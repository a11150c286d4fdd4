/**
 * The typed engine's pace in Node, measured side by side (interleaved A/B chunks,
 * bench/lib/ab.ts) against:
 *   - the tfjs engine on the cpu and on the wasm backend (same config, seed, rows),
 *   - a plain-JavaScript reimplementation of TensorFlow Playground's training loop
 *     (bench/playground.ts) on the same net size: spiral 2→6×8 tanh, batch 10,
 *     lr 0.03, one update per batch (Playground: one tanh output, square loss;
 *     gradscope: two softmax outputs, cross-entropy, plus its per-layer telemetry).
 * and, for the engine choice (engines.ts TYPED_MAX_MACS), typed vs tfjs cpu/wasm on
 * MLPs of growing size: where tfjs's faster arithmetic overtakes its fixed cost
 * per kernel.
 *
 * Every ratio is steps/s of the typed engine ÷ steps/s of the other loop, from the
 * same run; the spread is the smallest and largest ratio over up to 9 consecutive
 * blocks of pairs.
 *
 *   node --import tsx bench/node/typed.ts [--quick] [--only spiral|crossover] [--sizes 64x5x64,…]
 *
 * Prints progress on stderr and one JSON document on stdout (the last line).
 */
import { setNodeBackend, type NodeBackend } from '../../src/node/tf-node.ts';
import { defaultRunConfig, type RunConfig } from '../../src/engine/config.ts';
import { macsPerStep, TYPED_MAX_MACS } from '../../src/engine/engines.ts';
import { configFor } from '../lib/cells.ts';
import { GradscopeLoop, interleavedAB, type ABResult, type Loop } from '../lib/ab.ts';
import { PlaygroundLoop, TypedLoop, chunkFor } from '../lib/pace.ts';
import { cpuNowMs, parseArgs } from './args.ts';

const args = parseArgs(process.argv.slice(2));
const quick = !!args.quick;
const only = typeof args.only === 'string' ? args.only.split(',') : null;
const want = (s: string) => !only || only.includes(s);
const log = (line: string) => process.stderr.write(`${line}\n`);

interface Cell {
  model: string;
  against: string;
  macsPerStep: number;
  /** steps/s typed ÷ steps/s other, and its spread over blocks of pairs */
  ratio: number;
  ratioMin: number;
  ratioMax: number;
  typedStepsPerSec: number;
  otherStepsPerSec: number;
  pairs: string;
  chunk: number;
}

async function measure(model: string, cfg: RunConfig, other: () => Loop, budgetMs: number): Promise<Cell> {
  const a = new TypedLoop(cfg);
  const b = other();
  try {
    const chunk = await chunkFor([a, b], quick ? 20 : 30);
    const r: ABResult = await interleavedAB(a, b, { warmupMs: quick ? 150 : 400, budgetMs, minPairs: 6, chunk, cpuNow: cpuNowMs });
    const cell: Cell = {
      model,
      against: b.name,
      macsPerStep: macsPerStep(cfg),
      ratio: r.ratio,
      ratioMin: r.ratioMin,
      ratioMax: r.ratioMax,
      typedStepsPerSec: r.aRate,
      otherStepsPerSec: r.bRate,
      pairs: `${r.cleanPairs}/${r.pairs}`,
      chunk,
    };
    log(
      `  ${model.padEnd(28)} typed ÷ ${b.name.padEnd(10)} ${r.ratio.toFixed(2).padStart(7)}× (blocks ${r.ratioMin.toFixed(2)}–${r.ratioMax.toFixed(2)}): ` +
        `${r.aRate.toFixed(0)} vs ${r.bRate.toFixed(1)} steps/s, ${(cell.macsPerStep / 1e6).toFixed(3)} M multiply-adds/step, ${cell.pairs} pairs of ${chunk}`,
    );
    return cell;
  } finally {
    a.dispose();
    b.dispose();
  }
}

const tfjsLoop =
  (cfg: RunConfig, backend: NodeBackend) =>
  (): Loop => {
    const l = new GradscopeLoop(cfg);
    return { name: `tfjs-${backend}`, chunk: (k) => l.chunk(k), dispose: () => l.dispose() };
  };

const cells: Cell[] = [];
const spiral = configFor('spiral');

if (want('spiral')) {
  log('spiral 2→6×8 tanh→2, batch 10 (TensorFlow Playground\'s net):');
  const budget = quick ? 3_000 : 8_000;
  cells.push(await measure('spiral 6×8 b10', spiral, () => new PlaygroundLoop(spiral), budget));
  for (const backend of ['cpu', 'wasm'] as const) {
    await setNodeBackend(backend);
    cells.push(await measure('spiral 6×8 b10', spiral, tfjsLoop(spiral, backend), budget));
  }
}

/** MLPs 2→depth×width→2 on the spiral set with batch b, as bench/lib/cells.ts trains them. */
function mlp(width: number, depth: number, batch: number): RunConfig {
  return defaultRunConfig({
    seed: 1,
    data: { name: 'spiral', samples: Math.max(512, 2 * batch) },
    model: { hidden: Array(depth).fill(width), activation: 'relu' },
    optimizer: { name: 'sgd', lr: 0.01 },
    stabilizers: { clip: { mode: 'global_norm', threshold: 1 } },
    train: { batchSize: batch, steps: 1_000_000, evalEvery: 0 },
  });
}

if (want('crossover')) {
  // width × depth × batch; `--sizes 64x5x64,128x16x64` measures others
  const sizes: [number, number, number][] =
    typeof args.sizes === 'string'
      ? args.sizes.split(',').map((t) => t.split('x').map(Number) as [number, number, number])
      : quick
        ? [[16, 3, 32], [32, 6, 32], [64, 5, 64], [128, 4, 64]]
        : [[16, 3, 32], [32, 6, 32], [64, 5, 64], [128, 4, 64], [128, 16, 64], [256, 4, 128], [512, 3, 128]];
  const budget = quick ? 2_000 : 4_000;
  for (const backend of ['cpu', 'wasm'] as const) {
    await setNodeBackend(backend);
    log(`crossover, tfjs on ${backend} (TYPED_MAX_MACS now ${TYPED_MAX_MACS}):`);
    for (const [w, d, b] of sizes) {
      if (![w, d, b].every((v) => Number.isInteger(v) && v > 0)) throw new Error(`--sizes: width×depth×batch, got ${w}x${d}x${b}`);
      const cfg = mlp(w, d, b);
      cells.push(await measure(`mlp ${d}×${w} b${b}`, cfg, tfjsLoop(cfg, backend), budget));
    }
  }
}

process.stdout.write(JSON.stringify({ quick, node: process.version, cells }) + '\n');
