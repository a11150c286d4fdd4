/**
 * Fixtures of the fuzz tests of the experiment parser and the share-URL codec:
 * mutations of valid experiments (wrong types, values on and past the bounds,
 * unknown fields, huge arrays, deep nesting), applied with the paths where a
 * refusal must point, and an input's JSON text. Nothing outside those tests
 * imports this file.
 */
import fc from 'fast-check';
import { HTML_LABELS, KNOWN_KEYS, RANGES, UINT32_MAX, isObj, type Obj } from './contract.fixtures.ts';

/** A global of Node and the browsers; the engine's library (ES2022 only) does not declare it. */
declare function structuredClone<T>(value: T): T;

export function deep(depth: number, kind: 'array' | 'object'): unknown {
  let x: unknown = 1;
  for (let i = 0; i < depth; i++) x = kind === 'array' ? [x] : { a: x };
  return x;
}

/** A big value, built when a mutation is applied; fast-check prints its description (it cannot print a 100,000-deep value). */
class Big {
  constructor(
    readonly desc: string,
    readonly make: () => unknown,
  ) {}
  [fc.toStringMethod](): string {
    return this.desc;
  }
}
const big = (desc: string, make: () => unknown) => new Big(desc, make);
const build = (v: unknown): unknown => (v instanceof Big ? v.make() : v);

const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  // wrong types
  fc.string({ maxLength: 20 }),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.constant({}),
  fc.constant([]),
  fc.integer(),
  fc.double(), // includes NaN, ±Infinity, -0, subnormals
  fc.object({ maxDepth: 2, maxKeys: 4 }),
  // non-finite numbers, as numbers and as strings
  fc.constantFrom(NaN, Infinity, -Infinity, 'NaN', 'Infinity', '-Infinity', 'nan', '1e400', '0x10', '12', ''),
  // negative, huge, tiny and unsafe numbers
  fc.constantFrom(-1, -0, -1e308, 1e308, Number.MAX_VALUE, Number.MIN_VALUE, 2 ** 53 + 2, 2 ** 32, UINT32_MAX + 1, 0.5, 1.5, 1e-320),
  // very long strings, markup
  fc.constantFrom(big("'x' × 100000", () => 'x'.repeat(100_000)), 'relu'.repeat(1000), ...HTML_LABELS),
  // deep nesting
  fc.tuple(fc.constantFrom(10, 1000, 100_000), fc.constantFrom('array' as const, 'object' as const)).map(([d, k]) => big(`${k} nested ${d} deep`, () => deep(d, k))),
  // huge arrays
  fc.tuple(fc.constantFrom(65, 1000, 10_000), fc.constantFrom(8, 5000, null)).map(([n, x]) => big(`[${x}] × ${n}`, () => new Array<unknown>(n).fill(x))),
);

export type Mutation =
  | { op: 'set'; pick: number; value: unknown }
  | { op: 'delete'; pick: number }
  | { op: 'unknown'; pick: number; key: string; value: unknown }
  | { op: 'bound'; pick: number; which: number }
  | { op: 'resize'; pick: number; n: number };

const unknownKey = fc
  .oneof(
    fc.string({ minLength: 1, maxLength: 12 }),
    fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'Label', 'label ', ' seed', 'hiden', 'a\nb', 'a: b', 'x'.repeat(10_000), '\u2028'),
  )
  .filter((k) => !KNOWN_KEYS.has(k));

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('set' as const), pick: fc.nat(), value: nastyValue }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('unknown' as const), pick: fc.nat(), key: unknownKey, value: fc.oneof(fc.constant(1), nastyValue) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('bound' as const), pick: fc.nat(), which: fc.nat({ max: 7 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('resize' as const), pick: fc.nat(), n: fc.constantFrom(0, 5, 65, 100, 10_000) }) },
);

export type Path = (string | number)[];

/** Every path in a value (at most the first 70 elements of an array, 8 levels deep). */
function paths(x: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  out.push(prefix);
  if (prefix.length >= 8) return out;
  if (Array.isArray(x)) x.slice(0, 70).forEach((v, i) => paths(v, [...prefix, i], out));
  else if (isObj(x)) for (const [k, v] of Object.entries(x)) paths(v, [...prefix, k], out);
  return out;
}

export function getAt(x: unknown, p: Path): unknown {
  let cur = x;
  for (const k of p) cur = (cur as Record<string | number, unknown>)?.[k];
  return cur;
}

/** The contract range of the field at a path (by its name), if it has one. */
function rangeOf(p: Path): (typeof RANGES)[string] | undefined {
  const key = typeof p.at(-1) === 'number' ? p.at(-2) : p.at(-1);
  return typeof key === 'string' ? RANGES[key] : undefined;
}

/** A value just outside (or on the edge of) a field's range. */
function boundValue(p: Path, which: number, current: unknown): unknown {
  const r = rangeOf(p);
  if (!r) return [-1, -1e-300, 1e21, NaN, '1', current === true ? 'true' : Infinity, 0, 1][which];
  const eps = r.int ? 0.5 : Math.max(1e-9, r.hi * 1e-12);
  return [r.lo - 1, r.lo - eps, r.hi + eps, r.hi + 1, r.int ? r.lo + 0.5 : -Infinity, String(r.lo), r.lo, r.hi][which];
}

export interface Applied {
  input: unknown;
  /** Paths (of the input as given) where a refusal must point: the error names one of them or a field inside. */
  targets: Path[];
  /** Paths of objects that got an unknown field. */
  unknownIn: Path[];
  /** Names of fields the mutations touched (for the cross-field cnn rule). */
  touched: string[];
}

export function applyMutations(valid: Obj, muts: Mutation[]): Applied {
  let root: unknown = structuredClone(valid);
  const targets: Path[] = [];
  const unknownIn: Path[] = [];
  const touched: string[] = [];
  for (const m of muts) {
    const all = paths(root);
    let p = all[m.pick % all.length];
    const parent = p.length ? (getAt(root, p.slice(0, -1)) as Record<string | number, unknown>) : null;
    const key = p.at(-1);
    const set = (v: unknown) => {
      if (parent && key !== undefined) parent[key] = v;
      else root = v;
    };
    for (const k of p) if (typeof k === 'string') touched.push(k);
    switch (m.op) {
      case 'set':
        set(build(m.value));
        targets.push(p);
        break;
      case 'delete':
        if (Array.isArray(parent) && typeof key === 'number') {
          parent.splice(key, 1);
          targets.push(p.slice(0, -1));
        } else if (parent && key !== undefined) {
          delete parent[key];
          targets.push(p.slice(0, -1), p);
        } else {
          root = undefined;
          targets.push(p);
        }
        break;
      case 'unknown': {
        // the nearest enclosing plain object
        while (p.length && !isObj(getAt(root, p))) p = p.slice(0, -1);
        const obj = getAt(root, p);
        if (!isObj(obj)) break;
        Object.defineProperty(obj, m.key, { value: build(m.value), enumerable: true, configurable: true, writable: true });
        unknownIn.push(p);
        break;
      }
      case 'bound':
        set(boundValue(p, m.which, getAt(root, p)));
        targets.push(p);
        break;
      case 'resize': {
        while (p.length && !Array.isArray(getAt(root, p))) p = p.slice(0, -1);
        const arr = getAt(root, p);
        if (!Array.isArray(arr) || arr.length === 0) break;
        // (10,000 copies of a whole run would only time JSON.parse of 10 MB here)
        const n = isObj(arr[0]) ? Math.min(m.n, 1000) : m.n;
        const grown = Array.from({ length: n }, (_, i) => arr[i % arr.length]);
        if (p.length) (getAt(root, p.slice(0, -1)) as Record<string | number, unknown>)[p.at(-1)!] = grown;
        else root = grown;
        targets.push(p);
        break;
      }
    }
  }
  return { input: root, targets, unknownIn, touched };
}

/** JSON text of an input, when it has one (deep nesting or undefined at the root does not). */
export function jsonOf(x: unknown): string | null {
  try {
    return JSON.stringify(x) ?? null;
  } catch {
    return null;
  }
}
