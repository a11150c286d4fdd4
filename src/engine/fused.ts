/**
 * Fused telemetry kernels for the backends whose tensors live in the host's
 * memory (cpu, wasm).
 *
 * A training step needs, per layer, ‖g‖², ‖W‖², ‖∂L/∂h‖² and ‖ΔW‖², and commits
 * every variable with tf.where(apply, new, old). Written with tfjs ops that is
 * two kernels per variable and quantity (square, sum) plus a tile and a select
 * per committed variable: on a small net, several hundred kernels that each cost
 * a fixed ~15–25 µs of dispatch on cpu/wasm whatever their size (bench/results/PROFILE.md).
 * The kernels here do each of those jobs for all variables in ONE kernel call:
 *
 *   GradscopeSumSquares  out[slot[i]] += Σ x_i²          (or Σ (a_i − b_i)² over pairs)
 *   GradscopeSelect      out_i = cond ? a_i : b_i        (cond a 0-d bool tensor)
 *
 * They run inside the backend like any other kernel (no readback to the caller, no
 * change to the step's data flow). On webgpu they are compute shaders
 * (fusedWebgpu.ts: one dispatch per group of six tensors, one per selected
 * tensor), and a third one, GradscopeSgdSelect, does a plain SGD update and
 * its commit in one dispatch per weight. On webgl the same results come from tfjs ops (see `sumSquaresBySlot`,
 * `selectAll`). On cpu/wasm sums are accumulated in float64 (the op path and
 * webgpu accumulate in float32).
 */
import * as tf from './tf.ts';
import { selectWebgpu, sgdSelectWebgpu, sumSquaresWebgpu } from './fusedWebgpu.ts';

export const SUM_SQUARES = 'GradscopeSumSquares';
export const SELECT = 'GradscopeSelect';
/** webgpu only: out_i = cond ? w_i − lr·g_i : w_i (plain SGD and the masked commit). */
export const SGD_SELECT = 'GradscopeSgdSelect';

/** Backends with the fused kernels registered. */
export const FUSED_BACKENDS = ['cpu', 'wasm', 'webgpu'] as const;

/** The backends whose tensors live in the host's memory. */
const HOST_BACKENDS = ['cpu', 'wasm'] as const;

type Values = ArrayLike<number>;

interface HostBackend {
  read(t: tf.TensorInfo): Values;
  write(shape: number[], dtype: tf.DataType, values: Float32Array | Int32Array | Uint8Array): tf.TensorInfo;
}

interface CpuBackendLike {
  data: { get(id: tf.DataId): { values: Values } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Values): tf.TensorInfo;
}

interface WasmBackendLike {
  typedArrayFromHeap(t: tf.TensorInfo): Values & { set(a: Values): void };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

function host(name: (typeof HOST_BACKENDS)[number], backend: unknown): HostBackend {
  if (name === 'cpu') {
    const b = backend as CpuBackendLike;
    return {
      read: (t) => b.data.get(t.dataId).values,
      write: (shape, dtype, values) => b.makeTensorInfo(shape, dtype, values),
    };
  }
  const b = backend as WasmBackendLike;
  return {
    read: (t) => b.typedArrayFromHeap(t),
    write: (shape, dtype, values) => {
      const out = b.makeOutput(shape, dtype);
      b.typedArrayFromHeap(out).set(values);
      return out;
    },
  };
}

interface SumSquaresAttrs {
  /** Output slot of each input (or of each pair when `pairs`). */
  slots: number[];
  nSlots: number;
  /** Inputs come as a0, b0, a1, b1, …: sum (a − b)². */
  pairs: boolean;
}

function inputList(inputs: tf.NamedTensorInfoMap): tf.TensorInfo[] {
  const n = Object.keys(inputs).length;
  return Array.from({ length: n }, (_, i) => inputs[`x${i}`] as tf.TensorInfo);
}

function registerFused(): void {
  if (!tf.getKernel(SUM_SQUARES, 'webgpu')) {
    tf.registerKernel({
      kernelName: SUM_SQUARES,
      backendName: 'webgpu',
      kernelFunc: ({ inputs, backend, attrs }) => {
        const { slots, nSlots, pairs } = attrs as unknown as SumSquaresAttrs;
        return sumSquaresWebgpu(backend, inputList(inputs), slots, nSlots, pairs);
      },
    });
  }
  if (!tf.getKernel(SELECT, 'webgpu')) {
    tf.registerKernel({
      kernelName: SELECT,
      backendName: 'webgpu',
      kernelFunc: ({ inputs, backend }) => {
        const xs = inputList(inputs);
        const n = (xs.length - 1) / 2;
        return selectWebgpu(backend, xs[0], xs.slice(1, 1 + n), xs.slice(1 + n));
      },
    });
  }
  if (!tf.getKernel(SGD_SELECT, 'webgpu')) {
    tf.registerKernel({
      kernelName: SGD_SELECT,
      backendName: 'webgpu',
      kernelFunc: ({ inputs, backend }) => {
        const xs = inputList(inputs);
        const n = (xs.length - 2) / 2;
        return sgdSelectWebgpu(backend, xs[0], xs[1], xs.slice(2, 2 + n), xs.slice(2 + n));
      },
    });
  }
  for (const name of HOST_BACKENDS) {
    if (!tf.getKernel(SUM_SQUARES, name)) {
      tf.registerKernel({
        kernelName: SUM_SQUARES,
        backendName: name,
        kernelFunc: ({ inputs, backend, attrs }) => {
          const { slots, nSlots, pairs } = attrs as unknown as SumSquaresAttrs;
          const h = host(name, backend);
          const xs = inputList(inputs);
          const acc = new Float64Array(nSlots);
          for (let i = 0; i < slots.length; i++) {
            let s = 0;
            if (pairs) {
              const a = h.read(xs[2 * i]);
              const b = h.read(xs[2 * i + 1]);
              for (let j = 0; j < a.length; j++) {
                const d = a[j] - b[j];
                s += d * d;
              }
            } else {
              const a = h.read(xs[i]);
              for (let j = 0; j < a.length; j++) s += a[j] * a[j];
            }
            acc[slots[i]] += s;
          }
          return h.write([nSlots], 'float32', Float32Array.from(acc));
        },
      });
    }
    if (!tf.getKernel(SELECT, name)) {
      tf.registerKernel({
        kernelName: SELECT,
        backendName: name,
        kernelFunc: ({ inputs, backend }) => {
          const h = host(name, backend);
          const xs = inputList(inputs);
          const n = (xs.length - 1) / 2;
          const pick = h.read(xs[0])[0] ? 1 : 1 + n;
          const out: tf.TensorInfo[] = [];
          for (let i = 0; i < n; i++) {
            const src = xs[pick + i];
            const vals = h.read(src);
            const copy = src.dtype === 'int32' ? Int32Array.from(vals) : src.dtype === 'bool' ? Uint8Array.from(vals) : Float32Array.from(vals);
            out.push(h.write(src.shape.slice(), src.dtype, copy));
          }
          return out;
        },
      });
    }
  }
}

registerFused();

let enabled = true;

/** Turns the fused kernels off (the tfjs-ops path everywhere): for tests and the benchmark's before/after. */
export function setFusedKernels(on: boolean): void {
  enabled = on;
}

/** True when the fused kernels are on and the active backend has them. */
export function fusedAvailable(): boolean {
  return enabled && (FUSED_BACKENDS as readonly string[]).includes(tf.getBackend());
}

function named(ts: tf.Tensor[]): tf.NamedTensorMap {
  const m: tf.NamedTensorMap = {};
  ts.forEach((t, i) => (m[`x${i}`] = t));
  return m;
}

/**
 * Σ x² of each tensor, summed into `nSlots` slots: out[slots[i]] += ‖tensors[i]‖².
 * With `minus`, the sums are of (tensors[i] − minus[i])². Returns [nSlots] float32.
 * `slotMask` (bool, tensors.length × nSlots, true where slots[i] = s) is used on backends without the fused kernel
 * (`fused` chooses the path; tests run both).
 */
export function sumSquaresBySlot(
  tensors: tf.Tensor[],
  slots: number[],
  nSlots: number,
  slotMask: tf.Tensor2D,
  minus?: tf.Tensor[],
  fused = fusedAvailable(),
): tf.Tensor1D {
  if (fused) {
    const inputs = minus ? tensors.flatMap((t, i) => [t, minus[i]]) : tensors;
    const attrs = { slots, nSlots, pairs: !!minus } as unknown as tf.NamedAttrMap;
    return tf.engine().runKernel(SUM_SQUARES, named(inputs), attrs) as tf.Tensor1D;
  }
  return tf.tidy(() => {
    const xs = minus ? tensors.map((t, i) => tf.sub(t, minus[i])) : tensors;
    const sq = tf.reshape(tf.stack(xs.map((x) => tf.sum(tf.square(x)))), [xs.length, 1]);
    // Masked sum rather than a matMul with a one-hot matrix: 0 × Infinity would
    // turn every slot NaN as soon as one layer's norm overflows.
    const tiled = tf.tile(sq, [1, nSlots]);
    return tf.sum(tf.where(slotMask, tiled, tf.zerosLike(tiled)), 0) as tf.Tensor1D;
  });
}

/** [cond ? a_i : b_i for each i], cond a 0-d bool tensor on the device. */
export function selectAll(cond: tf.Scalar, a: tf.Tensor[], b: tf.Tensor[], fused = fusedAvailable()): tf.Tensor[] {
  if (a.length === 0) return [];
  if (fused) return tf.engine().runKernel(SELECT, named([cond, ...a, ...b]), {}) as unknown as tf.Tensor[];
  return a.map((x, i) => tf.where(cond, x, b[i]));
}

/** True when plain SGD and the masked commit run as one kernel (webgpu, fused kernels on). */
export function sgdSelectAvailable(): boolean {
  return enabled && tf.getBackend() === 'webgpu';
}

/**
 * [cond ? w_i − lr·g_i : w_i] for each weight: what `selectAll(cond, sgd(w, g), w)` gives,
 * one kernel per weight where `sgdSelectAvailable()`, tfjs ops elsewhere (`fused` chooses; tests run both).
 */
export function sgdSelectAll(cond: tf.Scalar, lr: tf.Scalar, ws: tf.Tensor[], gs: tf.Tensor[], fused = sgdSelectAvailable()): tf.Tensor[] {
  if (ws.length === 0) return [];
  if (fused) return tf.engine().runKernel(SGD_SELECT, named([cond, lr, ...ws, ...gs]), {}) as unknown as tf.Tensor[];
  return tf.tidy(() => ws.map((w, i) => tf.where(cond, tf.sub(w, tf.mul(lr, gs[i])), w)));
}

/** Bool mask [slots.length × nSlots], true at (i, slots[i]): for `sumSquaresBySlot`'s op path. */
export function slotMaskOf(slots: number[], nSlots: number): tf.Tensor2D {
  const m = new Uint8Array(slots.length * nSlots);
  slots.forEach((s, i) => (m[i * nSlots + s] = 1));
  return tf.tensor2d(m, [slots.length, nSlots], 'bool');
}
