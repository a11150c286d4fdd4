/**
 * Telemetry overhead in Node on one backend: gradscope's step vs a bare tfjs
 * loop, interleaved A/B per model. Prints one JSON document on stdout.
 *
 *   node --import tsx bench/node/overhead.ts --backend cpu|wasm [--quick] [--models spiral,mlp5x64]
 */
import * as tf from '../../src/engine/tf.ts';
import { setNodeBackend, type NodeBackend } from '../../src/node/tf-node.ts';
import { configFor, modelsFor, type ModelId } from '../lib/cells.ts';
import { measureCell } from '../lib/ab.ts';
import { cpuNowMs, parseArgs } from './args.ts';

const args = parseArgs(process.argv.slice(2));
const backend = String(args.backend ?? 'cpu') as NodeBackend;
const quick = !!args.quick;
await setNodeBackend(backend);
const only = typeof args.models === 'string' ? args.models.split(',') : null;
const models = modelsFor(backend).filter((m) => !only || only.includes(m.id));

const cells = [];
for (const m of models) {
  const cfg = configFor(m.id as ModelId);
  const t0 = performance.now();
  const r = await measureCell(cfg, {
    warmupMs: quick ? 200 : 500,
    budgetMs: quick ? 4_000 : 12_000,
    minPairs: 5,
    cpuNow: cpuNowMs,
  });
  cells.push({ env: 'node', backend, model: m.id, label: m.label, ...r, wallMs: Math.round(performance.now() - t0) });
  process.stderr.write(
    `  node/${backend} ${m.id}: gradscope ${r.aRate.toFixed(1)} steps/s, bare ${r.bRate.toFixed(1)} steps/s, ratio ${r.ratio.toFixed(2)} (blocks ${r.ratioMin.toFixed(2)}–${r.ratioMax.toFixed(2)}, all pairs ${r.pooledRatio.toFixed(2)}, pair median ${r.pairMedianRatio.toFixed(2)}, CPU time ${r.cpuRatio?.toFixed(2)}), ${r.cleanPairs}/${r.pairs} pairs, k=${r.chunk}\n`,
  );
}
process.stdout.write(JSON.stringify({ backend, tfBackend: tf.getBackend(), cells }) + '\n');
