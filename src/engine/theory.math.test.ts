/**
 * The mean-field formulas of theory.ts against closed forms and against the
 * engine's own initializers (Monte Carlo). No tfjs ops: these are fast.
 * The whole-net predictions are in theory.net.test.ts.
 */
import { describe, expect, test } from 'vitest';
import { initKernel, initStd } from './init.ts';
import { ACTIVATIONS, INITS } from './meta.ts';
import { LEAKY_ALPHA } from './model.ts';
import { makeRng } from './rng.ts';
import {
  LEAKY_SLOPE,
  chi,
  chi1,
  derivSquare,
  fixedPoint,
  gaussExpect,
  gaussExpectScaled,
  gaussHermite,
  layerTheory,
  meanOut,
  meanSquareOut,
  momentsFast,
  normCdf,
  outputGradSquare,
  phi,
  phiPrime,
  qMap,
  sigmaW2,
  type NetSpec,
} from './theory.ts';

/** Composite Simpson over z ∈ [−12, 12]: an independent way to take Gaussian expectations. */
function simpsonE(f: (z: number) => number, n = 20000): number {
  const h = 24 / n;
  let s = 0;
  for (let i = 0; i <= n; i++) {
    const z = -12 + i * h;
    const w = i === 0 || i === n ? 1 : i % 2 === 1 ? 4 : 2;
    s += w * f(z) * Math.exp(-0.5 * z * z);
  }
  return (s * h) / 3 / Math.sqrt(2 * Math.PI);
}

/** E[f(s·z)] = ∫ f(u)·N(u; 0, s²) du by Simpson over a range covering both f and the Gaussian. */
function simpsonU(f: (u: number) => number, s: number, n = 200000): number {
  const hi = Math.max(12 * s, 40);
  const h = (2 * hi) / n;
  let acc = 0;
  for (let i = 0; i <= n; i++) {
    const u = -hi + i * h;
    const w = i === 0 || i === n ? 1 : i % 2 === 1 ? 4 : 2;
    acc += (w * f(u) * Math.exp(-0.5 * (u / s) ** 2)) / (s * Math.sqrt(2 * Math.PI));
  }
  return (acc * h) / 3;
}

/**
 * E[f(z)] by Simpson on pieces split at the points where f jumps: each piece
 * is integrated with f's one-sided values at its ends.
 */
function simpsonPieces(f: (z: number) => number, breaks: number[], nPer = 20000): number {
  const pts = [-12, ...breaks.filter((b) => b > -12 && b < 12).sort((a, b) => a - b), 12];
  let total = 0;
  for (let k = 0; k + 1 < pts.length; k++) {
    const a = pts[k];
    const b = pts[k + 1];
    const h = (b - a) / nPer;
    const eps = 1e-12 * Math.max(1, Math.abs(a), Math.abs(b));
    let acc = 0;
    for (let i = 0; i <= nPer; i++) {
      const z = i === 0 ? a + eps : i === nPer ? b - eps : a + i * h;
      const w = i === 0 || i === nPer ? 1 : i % 2 === 1 ? 4 : 2;
      acc += w * f(z) * Math.exp(-0.5 * z * z);
    }
    total += (acc * h) / 3;
  }
  return total / Math.sqrt(2 * Math.PI);
}

describe('Gauss–Hermite quadrature', () => {
  test('reproduces the moments of N(0, 1) and a smooth expectation', () => {
    const q = gaussHermite(192);
    expect(q.w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(gaussExpect((z) => z)).toBeCloseTo(0, 12);
    expect(gaussExpect((z) => z * z)).toBeCloseTo(1, 12);
    expect(gaussExpect((z) => z ** 4)).toBeCloseTo(3, 10);
    expect(gaussExpect((z) => z ** 6)).toBeCloseTo(15, 9);
    expect(gaussExpect((z) => Math.cos(z))).toBeCloseTo(Math.exp(-0.5), 12);
    // a small rule is exact for polynomials up to degree 2n − 1
    expect(gaussExpect((z) => z ** 8, gaussHermite(5))).toBeCloseTo(105, 9);
  });

  test('an even rule has no node at 0 and is symmetric, so steps at 0 integrate exactly', () => {
    const q = gaussHermite(192);
    expect(Math.min(...Array.from(q.z, Math.abs))).toBeGreaterThan(0);
    expect(gaussExpect((z) => (z > 0 ? 1 : 0), q)).toBeCloseTo(0.5, 14);
  });

  test('tanh and sigmoid moments agree with Simpson integration, from narrow to very wide pre-activations', () => {
    for (const q of [0.01, 0.1, 1, 4, 9, 100, 1e4]) {
      const s = Math.sqrt(q);
      // Simpson in u = s·z with a grid fine on f's own scale
      const ref = (f: (u: number) => number) => simpsonU(f, s);
      const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
      expect(rel(meanSquareOut('tanh', q), ref((u) => Math.tanh(u) ** 2)), `tanh² q=${q}`).toBeLessThan(1e-9);
      expect(rel(derivSquare('tanh', q), ref((u) => phiPrime('tanh', u) ** 2)), `tanh′² q=${q}`).toBeLessThan(1e-9);
      expect(rel(meanSquareOut('sigmoid', q), ref((u) => phi('sigmoid', u) ** 2)), `σ² q=${q}`).toBeLessThan(1e-9);
      expect(rel(derivSquare('sigmoid', q), ref((u) => phiPrime('sigmoid', u) ** 2)), `σ′² q=${q}`).toBeLessThan(1e-9);
    }
  });
});

describe('initializer variances σ_w² = Var(W)·fan_in', () => {
  test('match the engine initializers’ standard deviations', () => {
    for (const init of INITS) {
      if (init === 'orthogonal') continue;
      for (const [fi, fo] of [[16, 16], [2, 32], [64, 10]]) {
        for (const g of [0.5, 1, 3]) {
          expect(sigmaW2(init, g, fi, fo)).toBeCloseTo((g * initStd(init, fi, fo)) ** 2 * fi, 12);
        }
      }
    }
  });

  test('E‖W u‖² = σ_w²·‖u‖² for the engine’s real kernels (Monte Carlo)', () => {
    const rng = makeRng('theory-mc');
    const cases: [Parameters<typeof sigmaW2>[0], number, number, number][] = [
      ['he_normal', 64, 64, 1],
      ['normal', 48, 48, 2],
      ['glorot_uniform', 32, 96, 1],
      ['orthogonal', 64, 32, 1.5], // tall: exact
      ['orthogonal', 32, 64, 1], // wide: fan_in/fan_out of the energy passes
    ];
    for (const [init, fi, fo, g] of cases) {
      let ratio = 0;
      const draws = 60;
      for (let d = 0; d < draws; d++) {
        const W = initKernel(init, fi, fo, g, rng); // fi × fo row-major
        const u = Array.from({ length: fo }, () => rng.normal());
        const uu = u.reduce((a, b) => a + b * b, 0);
        let wu = 0;
        for (let i = 0; i < fi; i++) {
          let s = 0;
          for (let j = 0; j < fo; j++) s += W[i * fo + j] * u[j];
          wu += s * s;
        }
        ratio += wu / uu / draws;
      }
      const expected = sigmaW2(init, g, fi, fo);
      expect(Math.abs(ratio / expected - 1), `${init} ${fi}×${fo} g=${g}: ${ratio} vs ${expected}`).toBeLessThan(0.06);
    }
  });
});

describe('χ: growth of ‖∂L/∂h‖² per layer toward the input', () => {
  test('ReLU: exactly g²/2 for init normal, g² for He, whatever q', () => {
    for (const g of [0.5, 1, Math.SQRT2, 2, 3]) {
      expect(chi1('relu', sigmaW2('normal', g, 32, 32))).toBe((g * g) / 2);
      expect(chi('relu', sigmaW2('normal', g, 32, 32), 0.01)).toBe((g * g) / 2);
      expect(chi('relu', sigmaW2('normal', g, 32, 32), 100)).toBe((g * g) / 2);
      expect(chi1('relu', sigmaW2('he_normal', g, 32, 32))).toBeCloseTo(g * g, 14);
    }
    // He with gain 1 is exactly critical; Glorot on equal widths halves the energy per layer
    expect(chi1('relu', sigmaW2('he_normal', 1, 64, 64))).toBe(1);
    expect(chi1('relu', sigmaW2('glorot_normal', 1, 64, 64))).toBe(0.5);
  });

  test('Leaky ReLU and linear: closed forms, with the engine’s slope', () => {
    expect(LEAKY_SLOPE).toBe(LEAKY_ALPHA);
    expect(chi1('leaky_relu', 2)).toBeCloseTo(1 + LEAKY_SLOPE ** 2, 14);
    expect(chi1('linear', 2.25)).toBe(2.25);
    expect(meanSquareOut('relu', 3)).toBe(1.5);
  });

  test('ELU: E[φ′(√q·z)²] = ½ + e^{2q}·Φ(−2√q); ELU, SELU, ReLU6 moments agree with direct integration', () => {
    expect(normCdf(0)).toBeCloseTo(0.5, 7);
    expect(normCdf(1)).toBeCloseTo(0.8413447460685429, 7);
    expect(normCdf(-2)).toBeCloseTo(0.022750131948179195, 8);
    for (const q of [0.05, 0.5, 1, 2, 30]) {
      const s = Math.sqrt(q);
      const closed = 0.5 + Math.exp(2 * q) * normCdf(-2 * s);
      if (q < 20) expect(derivSquare('elu', q)).toBeCloseTo(closed, 10);
      for (const act of ['elu', 'selu', 'relu6'] as const) {
        const breaks = act === 'relu6' ? [0, 6 / s] : [0];
        const d = simpsonPieces((z) => phiPrime(act, s * z) ** 2, breaks);
        const m = simpsonPieces((z) => phi(act, s * z) ** 2, breaks);
        // the closed forms use an erfc good to ~1e-7 relative
        expect(Math.abs(derivSquare(act, q) - d), `${act} φ′² q=${q}`).toBeLessThan(1e-6 * Math.max(1, d));
        expect(Math.abs(meanSquareOut(act, q) - m), `${act} φ² q=${q}`).toBeLessThan(1e-6 * Math.max(1, m));
      }
    }
    // SELU's fixed point: with LeCun init (σ_w² = 1) unit variance maps to itself
    expect(meanSquareOut('selu', 1)).toBeCloseTo(1, 4);
  });

  test('sigmoid: slope at most ¼, so χ ≤ σ_w²/16 (vanishing at every usual gain)', () => {
    expect(derivSquare('sigmoid', 1e-8)).toBeCloseTo(1 / 16, 8);
    for (const q of [0.5, 1, 4, 16]) expect(derivSquare('sigmoid', q)).toBeLessThan(1 / 16);
    expect(chi1('sigmoid', sigmaW2('glorot_normal', 1, 32, 32))).toBeLessThan(1 / 16);
  });

  test('tanh: χ₁ < 1 for small g, = 1 at the critical σ_w = 1 (σ_b = 0), > 1 for g = 3', () => {
    // ordered phase: the fixed point is q* = 0 and χ₁ = σ_w²·tanh′(0)² = σ_w²
    for (const g of [0.3, 0.5, 0.9]) {
      expect(fixedPoint('tanh', g * g)).toBe(0);
      expect(chi1('tanh', g * g)).toBeCloseTo(g * g, 12);
      expect(chi1('tanh', g * g)).toBeLessThan(1);
    }
    expect(chi1('tanh', 1)).toBe(1);
    // just above the edge χ₁ is continuous (→ 1); well above it the net is chaotic
    expect(chi1('tanh', 1.0001)).toBeCloseTo(1, 3);
    const sw2 = sigmaW2('normal', 3, 64, 64);
    const qStar = fixedPoint('tanh', sw2);
    expect(qStar).toBeGreaterThan(1);
    expect(Math.abs(qMap('tanh', sw2, qStar) - qStar)).toBeLessThan(1e-9);
    const c = chi1('tanh', sw2);
    expect(c).toBeGreaterThan(1);
    // independent check with Simpson integration at the same q*
    expect(c).toBeCloseTo(sw2 * simpsonE((z) => 1 / Math.cosh(Math.sqrt(qStar) * z) ** 4), 8);
    for (const g of [1.2, 2, 4]) expect(chi1('tanh', g * g)).toBeGreaterThan(1);
    // with bias variance the edge moves above σ_w = 1 (χ₁ < 1 at σ_w = 1)
    expect(chi1('tanh', 1, 0.05)).toBeLessThan(1);
  });
});

describe('the mean of a unit’s output, for the residual cross term', () => {
  test('meanOut: E[φ(√q·z)] agrees with direct integration', () => {
    for (const act of ACTIVATIONS) {
      for (const q of [0.05, 0.5, 1, 2, 30]) {
        const s = Math.sqrt(q);
        const breaks = act === 'relu6' ? [0, 6 / s] : [0];
        const m = simpsonPieces((z) => phi(act, s * z), breaks);
        expect(Math.abs(meanOut(act, q) - m), `${act} q=${q}`).toBeLessThan(1e-6 * Math.max(1, Math.abs(m)));
      }
      expect(meanOut(act, 0)).toBe(phi(act, 0));
    }
  });

  test('a residual layer adds 2·E[φ]·μ to the mean square (skip and branch have non-zero means): the engine’s kernels agree', () => {
    // One input vector with positive entries through 6 residual ReLU layers (He), width 256,
    // with the engine's own initializer; the mean of z² per layer over 4 nets.
    const n = 256;
    const depth = 6;
    const x = Float64Array.from({ length: n }, (_, i) => Math.abs(Math.sin(1.7 * i + 0.3)) * 1.5);
    const ms = x.reduce((a, v) => a + v * v, 0) / n;
    const mu = x.reduce((a, v) => a + v, 0) / n;
    const spec: NetSpec = { inputSize: n, hidden: Array(depth).fill(n), outputSize: 2, activation: 'relu', init: 'he_normal', initGain: 1, residual: true, inputMeanSquare: ms, inputMean: mu };
    const th = layerTheory(spec);
    const realized = new Array<number>(depth).fill(0);
    const nets = 4;
    for (let k = 0; k < nets; k++) {
      const rng = makeRng(`residual-forward-${k}`);
      let h = x;
      for (let l = 0; l < depth; l++) {
        const W = initKernel('he_normal', n, n, 1, rng); // fan_in × fan_out, row-major
        const next = Float64Array.from(h);
        let zz = 0;
        for (let j = 0; j < n; j++) {
          let z = 0;
          for (let i = 0; i < n; i++) z += h[i] * W[i * n + j];
          zz += z * z;
          next[j] += Math.max(0, z);
        }
        realized[l] += zz / n / nets;
        h = next;
      }
    }
    // the recursion without the cross term: m_l = m_{l−1} + q_l/2
    let m = ms;
    const without: number[] = [];
    for (let l = 0; l < depth; l++) {
      without.push(2 * m);
      m += m;
    }
    for (let l = 0; l < depth; l++) expect(Math.abs(th[l].q / realized[l] - 1), `layer ${l + 1}: ${th[l].q} vs ${realized[l]}`).toBeLessThan(0.1);
    expect(without[depth - 1] / realized[depth - 1]).toBeLessThan(0.5);
  });
});

describe('the per-example tables and the output-gradient shares', () => {
  test('tanh’s mean square at tiny q is the series (1 − E sech² would cancel), continuous at the switch', () => {
    expect(meanSquareOut('tanh', 1e-12) / 1e-12).toBeCloseTo(1, 11);
    expect(meanSquareOut('tanh', 1e-8) / (1e-8 * (1 - 2e-8))).toBeCloseTo(1, 11);
    const q = 1e-4;
    const quadrature = 1 - gaussExpectScaled((u) => 1 / Math.cosh(u) ** 2, Math.sqrt(q));
    expect(Math.abs(meanSquareOut('tanh', q * (1 - 1e-12)) / quadrature - 1)).toBeLessThan(1e-10);
  });

  test('momentsFast reads the quadrature’s tanh and sigmoid moments to 1e-7, and the closed forms as they are', () => {
    for (const act of ['tanh', 'sigmoid'] as const) {
      for (let lq = -27; lq <= 27; lq += 0.173) {
        const q = Math.exp(lq);
        const [m, d] = momentsFast(act, q);
        expect(Math.abs(m / meanSquareOut(act, q) - 1), `${act} E φ² q=${q}`).toBeLessThan(1e-7);
        expect(Math.abs(d / derivSquare(act, q) - 1), `${act} E φ′² q=${q}`).toBeLessThan(1e-7);
      }
    }
    expect(momentsFast('elu', 2)).toEqual([meanSquareOut('elu', 2), derivSquare('elu', 2)]);
  });

  test('outputGradSquare: E‖softmax(z) − e_y‖² for z ~ N(0, q·I), two classes by quadrature, three by a fixed sample', () => {
    const rng = makeRng('softmax-mc');
    const mc = (C: number, q: number, draws = 100_000) => {
      let acc = 0;
      const z = new Float64Array(C);
      for (let k = 0; k < draws; k++) {
        for (let c = 0; c < C; c++) z[c] = Math.sqrt(q) * rng.normal();
        const max = Math.max(...z);
        const e = Array.from(z, (v) => Math.exp(v - max));
        const s = e.reduce((a, b) => a + b, 0);
        acc += e.reduce((a, v, c) => a + (v / s - (c === 0 ? 1 : 0)) ** 2, 0);
      }
      return acc / draws;
    };
    for (const q of [0.01, 0.3, 1, 4, 30, 1000]) {
      // two classes: 2·E[σ(√(2q)·z)²] exactly
      const two = 2 * simpsonU((u) => phi('sigmoid', u) ** 2, Math.sqrt(2 * q));
      expect(outputGradSquare(2, q) / two, `C=2 q=${q}`).toBeCloseTo(1, 6);
      expect(Math.abs(outputGradSquare(3, q) / mc(3, q) - 1), `C=3 q=${q}`).toBeLessThan(0.01);
    }
    for (const C of [2, 3]) {
      expect(outputGradSquare(C, 0)).toBeCloseTo(1 - 1 / C, 12); // uniform p
      expect(outputGradSquare(C, 1e-9)).toBeCloseTo(1 - 1 / C, 6);
      expect(outputGradSquare(C, 1e9)).toBeCloseTo(2 - 2 / C, 2); // one-hot p
    }
  });
});
