/**
 * Initializer variances (contract: PyTorch/Keras conventions, gain multiplies the std).
 * Nominal values are written out here from the textbook formulas:
 *   he        Var = 2/fan_in            glorot   Var = 2/(fan_in + fan_out)
 *   lecun     Var = 1/fan_in            normal   Var = g²/fan_in
 *   uniform variants: U(-a, a) with a = √3·std (so the variance is the same)
 *   orthogonal: QᵀQ = g²·I
 * For a conv kernel [kh, kw, in, out]: fan_in = kh·kw·in, fan_out = kh·kw·out.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { setNodeBackend } from '../node/tf-node.ts';
import { defaultRunConfig, type RunConfigInput } from './config.ts';
import { initKernel } from './init.ts';
import type { InitName } from './meta.ts';
import { buildModel, disposeModel } from './model.ts';
import { makeRng } from './rng.ts';

beforeAll(async () => {
  await setNodeBackend('cpu');
});

interface Moments {
  mean: number;
  std: number;
  kurtosis: number;
  maxAbs: number;
}

function moments(x: ArrayLike<number>): Moments {
  const n = x.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += x[i];
  const mean = s / n;
  let m2 = 0;
  let m4 = 0;
  let maxAbs = 0;
  for (let i = 0; i < n; i++) {
    const d = x[i] - mean;
    m2 += d * d;
    m4 += d * d * d * d;
    maxAbs = Math.max(maxAbs, Math.abs(x[i]));
  }
  m2 /= n;
  m4 /= n;
  return { mean, std: Math.sqrt(m2), kurtosis: m4 / (m2 * m2), maxAbs };
}

/** Nominal std, written independently of init.ts. */
function nominalStd(init: InitName, fanIn: number, fanOut: number, gain: number): number {
  const v: Record<Exclude<InitName, 'orthogonal'>, number> = {
    he_normal: 2 / fanIn,
    he_uniform: 2 / fanIn,
    glorot_normal: 2 / (fanIn + fanOut),
    glorot_uniform: 2 / (fanIn + fanOut),
    lecun_normal: 1 / fanIn,
    normal: 1 / fanIn,
  };
  return gain * Math.sqrt(v[init as Exclude<InitName, 'orthogonal'>]);
}

const RANDOM_INITS: Exclude<InitName, 'orthogonal'>[] = ['he_normal', 'he_uniform', 'glorot_normal', 'glorot_uniform', 'lecun_normal', 'normal'];
const isUniform = (i: InitName) => i === 'he_uniform' || i === 'glorot_uniform';

function checkDistribution(values: ArrayLike<number>, init: InitName, std: number): void {
  const m = moments(values);
  // 3% on the std; the sampling error of a std over ≥ 18k draws is < 1%.
  expect(Math.abs(m.std / std - 1), `${init}: std ${m.std} vs nominal ${std}`).toBeLessThan(0.03);
  expect(Math.abs(m.mean), `${init}: mean`).toBeLessThan(0.05 * std);
  if (isUniform(init)) {
    const a = Math.sqrt(3) * std;
    expect(m.maxAbs, `${init}: bound`).toBeLessThanOrEqual(a * (1 + 1e-6));
    expect(m.maxAbs, `${init}: bound reached`).toBeGreaterThan(0.995 * a);
    expect(m.kurtosis).toBeCloseTo(1.8, 1); // uniform
  } else {
    // Untruncated normal: kurtosis 3 (a 2σ-truncated normal has ≈2.36), tails beyond 3σ exist.
    expect(Math.abs(m.kurtosis - 3)).toBeLessThan(0.15);
    expect(m.maxAbs).toBeGreaterThan(3.5 * std);
  }
}

describe('initKernel', () => {
  const cases: [number, number][] = [
    [256, 256],
    [128, 512],
    [512, 128],
  ];
  for (const init of RANDOM_INITS) {
    for (const [fanIn, fanOut] of cases) {
      for (const gain of [1, 2.5]) {
        test(`${init} ${fanIn}×${fanOut} gain ${gain}`, () => {
          const w = initKernel(init, fanIn, fanOut, gain, makeRng(`init-test:${init}:${fanIn}:${gain}`));
          expect(w.length).toBe(fanIn * fanOut);
          checkDistribution(w, init, nominalStd(init, fanIn, fanOut, gain));
        });
      }
    }
  }

  test('normal with gain g is N(0, g²/fan_in) for several g', () => {
    for (const g of [0.5, 1, Math.SQRT2, 2, 3]) {
      const w = initKernel('normal', 256, 256, g, makeRng(`g${g}`));
      expect(Math.abs(moments(w).std / (g / 16) - 1)).toBeLessThan(0.03);
    }
  });

  test('different seeds give different draws, the same seed the same', () => {
    const a = initKernel('he_normal', 64, 64, 1, makeRng(1));
    const b = initKernel('he_normal', 64, 64, 1, makeRng(1));
    const c = initKernel('he_normal', 64, 64, 1, makeRng(2));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  /** Gram matrix of the columns (rows × cols row-major) or of the rows, in float64. */
  function gram(w: Float32Array, rows: number, cols: number, ofColumns: boolean): Float64Array {
    const k = ofColumns ? cols : rows;
    const n = ofColumns ? rows : cols;
    const get = (i: number, j: number) => (ofColumns ? w[j * cols + i] : w[i * cols + j]); // i: vector, j: element
    const out = new Float64Array(k * k);
    for (let a = 0; a < k; a++) {
      for (let b = a; b < k; b++) {
        let s = 0;
        for (let j = 0; j < n; j++) s += get(a, j) * get(b, j);
        out[a * k + b] = out[b * k + a] = s;
      }
    }
    return out;
  }

  for (const [rows, cols] of [
    [256, 256],
    [256, 64],
    [64, 256],
  ] as const) {
    for (const g of [1, 2]) {
      test(`orthogonal ${rows}×${cols} gain ${g}: ${rows >= cols ? 'QᵀQ' : 'QQᵀ'} = g²·I`, () => {
        const w = initKernel('orthogonal', rows, cols, g, makeRng(`orth${rows}${cols}${g}`));
        expect(w.length).toBe(rows * cols);
        const tall = rows >= cols;
        const G = gram(w, rows, cols, tall);
        const k = tall ? cols : rows;
        let maxErr = 0;
        for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) maxErr = Math.max(maxErr, Math.abs(G[a * k + b] - (a === b ? g * g : 0)));
        expect(maxErr / (g * g)).toBeLessThan(1e-4);
        // and it is not a trivial (e.g. identity-like) matrix: entries spread like N(0, g²/max(rows, cols))
        const m = moments(w);
        expect(Math.abs(m.std / (g / Math.sqrt(Math.max(rows, cols))) - 1)).toBeLessThan(0.05);
      });
    }
  }
});

describe('buildModel uses these variances', () => {
  function kernelOf(cfgIn: RunConfigInput, inputShape: number[], nClasses: number, layer: number) {
    const cfg = defaultRunConfig(cfgIn);
    const model = buildModel(cfg, inputShape, nClasses);
    try {
      const l = model.layers[layer];
      return {
        kernel: l.kernel.dataSync() as Float32Array,
        shape: l.kernel.shape,
        biases: model.layers.map((x) => Array.from(x.bias.dataSync())),
        extra: model.layers.flatMap((x) => (x.gamma ? [[...x.gamma.dataSync()], [...x.beta!.dataSync()]] : [])),
      };
    } finally {
      disposeModel(model);
    }
  }

  for (const init of RANDOM_INITS) {
    test(`mlp ${init}: kernel of a 256→256 and a 128→512 layer; biases 0`, () => {
      const g = init === 'normal' ? 3 : 1;
      const a = kernelOf({ model: { hidden: [256, 256, 256], init, initGain: g } }, [2], 2, 1);
      expect(a.shape).toEqual([256, 256]);
      checkDistribution(a.kernel, init, nominalStd(init, 256, 256, g));
      for (const b of a.biases) expect(b.every((x) => x === 0)).toBe(true);
      const b = kernelOf({ model: { hidden: [128, 512], init, initGain: g } }, [2], 2, 1);
      expect(b.shape).toEqual([128, 512]);
      checkDistribution(b.kernel, init, nominalStd(init, 128, 512, g));
    });
  }

  test('mlp orthogonal: columns orthonormal times the gain', () => {
    const { kernel } = kernelOf({ model: { hidden: [64, 128], init: 'orthogonal', initGain: 1.5 } }, [2], 2, 1);
    // 64×128 (wide): rows are orthogonal with norm² g²
    for (let a = 0; a < 64; a += 7) {
      for (let b = 0; b < 64; b += 5) {
        let s = 0;
        for (let j = 0; j < 128; j++) s += kernel[a * 128 + j] * kernel[b * 128 + j];
        expect(s).toBeCloseTo(a === b ? 2.25 : 0, 4);
      }
    }
  });

  for (const init of RANDOM_INITS) {
    test(`cnn ${init}: conv kernel [3,3,32,64] uses fan_in = 9·32, fan_out = 9·64`, () => {
      const a = kernelOf({ data: { name: 'shapes' }, model: { arch: 'cnn', hidden: [32, 64], init } }, [16, 16, 1], 3, 1);
      expect(a.shape).toEqual([3, 3, 32, 64]);
      checkDistribution(a.kernel, init, nominalStd(init, 9 * 32, 9 * 64, 1));
      for (const b of a.biases) expect(b.every((x) => x === 0)).toBe(true);
    });
  }

  test('norm layers start at scale 1, offset 0', () => {
    for (const norm of ['batch', 'layer'] as const) {
      const { extra } = kernelOf({ model: { hidden: [8, 8], norm } }, [2], 2, 0);
      expect(extra).toHaveLength(4);
      expect(extra[0].every((x) => x === 1) && extra[1].every((x) => x === 0)).toBe(true);
    }
  });
});
