/**
 * The built-in regression sets (a number to predict, mean squared error):
 * - `plane`: TensorFlow Playground's regression plane, two inputs in [-1, 1]
 *   and the target (x₁ + x₂)/2 plus noise·0.5·N(0, 1);
 * - `housing`: synthetic house prices in $1000s from three features in their
 *   raw units: floor area in square feet (500–4,000), rooms (1–8) and age in
 *   years (0–100). price = 50 + 0.12·area + 8·rooms − 0.6·age + noise·40·N(0, 1).
 *   Unscaled, the area column (in the thousands) and the target (in the
 *   hundreds) make the first steps' gradients enormous: the set that shows what
 *   `data.standardize` is for.
 */
import type { Rng } from '../rng.ts';

export interface RegressionExamples {
  features: string[];
  target: string;
  x: Float32Array;
  t: Float32Array;
}

export function regressionExamples(name: 'plane' | 'housing', n: number, noise: number, rng: Rng): RegressionExamples {
  if (name === 'plane') {
    const x = new Float32Array(n * 2);
    const t = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const a = rng.uniform(-1, 1);
      const b = rng.uniform(-1, 1);
      x[2 * i] = a;
      x[2 * i + 1] = b;
      t[i] = (a + b) / 2 + noise * 0.5 * rng.normal();
    }
    return { features: ['x1', 'x2'], target: 'y', x, t };
  }
  const x = new Float32Array(n * 3);
  const t = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const area = Math.round(rng.uniform(500, 4000));
    const rooms = Math.max(1, Math.min(8, Math.round(area / 600 + 0.7 * rng.normal())));
    const age = Math.round(rng.uniform(0, 100));
    x[3 * i] = area;
    x[3 * i + 1] = rooms;
    x[3 * i + 2] = age;
    t[i] = 50 + 0.12 * area + 8 * rooms - 0.6 * age + noise * 40 * rng.normal();
  }
  return { features: ['area_sqft', 'rooms', 'age_years'], target: 'price_k', x, t };
}
