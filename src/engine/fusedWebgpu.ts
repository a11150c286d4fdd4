/**
 * The fused telemetry kernels of fused.ts (GradscopeSumSquares, GradscopeSelect)
 * as WebGPU compute shaders, run through the webgpu backend's own
 * `runWebGPUProgram` (the way tfjs-backend-webgpu runs its built-in programs).
 *
 * A shader binds at most `maxStorageBuffersPerShaderStage` buffers (8 unless the
 * device asked for more; tfjs does not), one of them the output, so:
 *
 *   SumSquares  one dispatch per group of up to 6 tensors (3 pairs): a single
 *               workgroup reduces each tensor of its group in shared memory and
 *               adds the sums to the slots of the previous group's output
 *               (an input of the next dispatch). The op path needs two to three
 *               dispatches per tensor and four more to gather the slots.
 *   Select      one dispatch per tensor, reading the 0-d condition in the shader
 *               (tf.where first broadcasts the condition with a tile: two).
 *   SgdSelect   plain SGD and the masked commit of a weight in one dispatch
 *               (tf.mul, tf.sub, then the select: four).
 *
 * Sums accumulate in float32, as the op path does. No tfjs-backend-webgpu import:
 * the backend object arrives in the kernel call and the program is a plain object
 * of the backend's WebGPUProgram shape.
 */
import * as tf from './tf.ts';

/** The parts of tfjs-backend-webgpu's WebGPUProgram these shaders use. */
interface Program {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  size?: boolean;
  getUserCode: () => string;
}

interface WebGpuBackendLike {
  device: { limits: { maxStorageBuffersPerShaderStage: number } };
  runWebGPUProgram(program: Program, inputs: tf.TensorInfo[], outputDtype: tf.DataType): tf.TensorInfo;
  disposeData(dataId: tf.DataId): void;
}

/**
 * Threads of the one workgroup that sums each tensor: tfjs's own full reductions
 * use one workgroup of 64–512 threads (256 from 4,096 values up); 256 is the most
 * every WebGPU device allows.
 */
const SUM_WG = 256;
/** Threads per workgroup of the select (one value each). */
const WG = 128;

/** `out = prev + Σ per slot` over one group of tensors (or pairs): one dispatch. */
function sumSquaresProgram(sizes: number[], slots: number[], nSlots: number, pairs: boolean, hasPrev: boolean): Program {
  const names = [...(hasPrev ? ['prev'] : []), ...sizes.flatMap((_, i) => (pairs ? [`a${i}`, `b${i}`] : [`a${i}`]))];
  const reduce = sizes
    .map((n, i) => {
      const v = pairs ? `a${i}[j] - b${i}[j]` : `a${i}[j]`;
      return `
      {
        var s = 0.0;
        for (var j = t; j < ${n}; j = j + ${SUM_WG}) {
          let v = ${v};
          s = s + v * v;
        }
        partial[t] = s;
        workgroupBarrier();
        for (var w = ${SUM_WG / 2}; w > 0; w = w / 2) {
          if (t < w) {
            partial[t] = partial[t] + partial[t + w];
          }
          workgroupBarrier();
        }
        if (t == 0) {
          sums[${i}] = partial[0];
        }
        workgroupBarrier();
      }`;
    })
    .join('');
  const gather = sizes.map((_, i) => `if (s == ${slots[i]}) { v = v + sums[${i}]; }`).join('\n          ');
  return {
    variableNames: names,
    outputShape: [nSlots],
    shaderKey: `gradscopeSumSquares_${pairs ? 'p' : 's'}${hasPrev ? 'a' : ''}_${nSlots}_${sizes.join(',')}_${slots.join(',')}`,
    dispatchLayout: { x: [0] },
    dispatch: [1, 1, 1],
    workgroupSize: [SUM_WG, 1, 1],
    getUserCode: () => `
    var<workgroup> partial : array<f32, ${SUM_WG}>;
    var<workgroup> sums : array<f32, ${Math.max(1, sizes.length)}>;
    fn main(index : i32) {
      // tfjs binds its uniform buffer to every program: a shader that never reads it
      // gets a pipeline layout without that binding, and the bind group fails.
      _ = uniforms.NAN;
      let t = i32(localId.x);
      ${reduce}
      for (var s = t; s < ${nSlots}; s = s + ${SUM_WG}) {
        var v = ${hasPrev ? 'prev[s]' : '0.0'};
        ${gather}
        result[s] = v;
      }
    }
    `,
  };
}

/** An elementwise program over `shape`: one thread per element, `body` computing `result[index]`. */
function elementwiseProgram(shape: number[], variableNames: string[], shaderKey: string, body: string): Program {
  const size = tf.util.sizeFromShape(shape);
  return {
    variableNames,
    outputShape: shape.slice(),
    shaderKey,
    dispatchLayout: { x: shape.map((_, i) => i) },
    dispatch: [Math.ceil(size / WG), 1, 1],
    workgroupSize: [WG, 1, 1],
    size: true,
    getUserCode: () => `
    fn main(index : i32) {
      if (index < uniforms.size) {
        ${body}
      }
    }
    `,
  };
}

/** out_i = cond ? a_i : b_i, the 0-d condition read in the shader: one dispatch. */
function selectProgram(shape: number[]): Program {
  return elementwiseProgram(shape, ['cond', 'A', 'B'], 'gradscopeSelect', 'result[index] = select(B[index], A[index], getCond() != 0.0);');
}

/** out = cond ? W − lr·G : W (plain SGD and the masked commit in one pass; lr·G rounded first, as tf.sub(w, tf.mul(lr, g))). */
function sgdSelectProgram(shape: number[]): Program {
  return elementwiseProgram(
    shape,
    ['cond', 'lr', 'W', 'G'],
    'gradscopeSgdSelect',
    `let w = W[index];
        let step = getLr() * G[index];
        result[index] = select(w, w - step, getCond() != 0.0);`,
  );
}

function groupsOf<T>(xs: T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

export function sumSquaresWebgpu(backend: unknown, xs: tf.TensorInfo[], slots: number[], nSlots: number, pairs: boolean): tf.TensorInfo {
  const b = backend as WebGpuBackendLike;
  for (const x of xs) if (x.dtype !== 'float32') throw new Error(`GradscopeSumSquares: float32 tensors only, got ${x.dtype}`);
  // Bindings per dispatch: the output, the previous slots, the group's tensors.
  const per = pairs ? 2 : 1;
  const maxInputs = Math.max(2, (b.device.limits.maxStorageBuffersPerShaderStage ?? 8) - 2);
  const groupSize = Math.max(1, Math.floor(maxInputs / per));
  const items = slots.map((slot, i) => ({ slot, inputs: xs.slice(i * per, i * per + per) }));
  let prev: tf.TensorInfo | null = null;
  for (const group of groupsOf(items, groupSize)) {
    const sizes = group.map((g) => tf.util.sizeFromShape(g.inputs[0].shape));
    const program = sumSquaresProgram(
      sizes,
      group.map((g) => g.slot),
      nSlots,
      pairs,
      prev !== null,
    );
    const inputs = [...(prev ? [prev] : []), ...group.flatMap((g) => g.inputs)];
    const out: tf.TensorInfo = b.runWebGPUProgram(program, inputs, 'float32');
    if (prev) b.disposeData(prev.dataId);
    prev = out;
  }
  if (prev) return prev;
  // No tensors: zeros.
  return b.runWebGPUProgram(sumSquaresProgram([], [], nSlots, pairs, false), [], 'float32');
}

export function selectWebgpu(backend: unknown, cond: tf.TensorInfo, a: tf.TensorInfo[], bs: tf.TensorInfo[]): tf.TensorInfo[] {
  const b = backend as WebGpuBackendLike;
  return a.map((x, i) => {
    if (x.dtype !== bs[i].dtype) throw new Error(`GradscopeSelect: ${x.dtype} and ${bs[i].dtype}`);
    return b.runWebGPUProgram(selectProgram(x.shape), [cond, x, bs[i]], x.dtype);
  });
}

export function sgdSelectWebgpu(backend: unknown, cond: tf.TensorInfo, lr: tf.TensorInfo, ws: tf.TensorInfo[], gs: tf.TensorInfo[]): tf.TensorInfo[] {
  const b = backend as WebGpuBackendLike;
  return ws.map((w, i) => {
    if (w.dtype !== 'float32' || gs[i].dtype !== 'float32') throw new Error(`GradscopeSgdSelect: float32 only, got ${w.dtype} and ${gs[i].dtype}`);
    return b.runWebGPUProgram(sgdSelectProgram(w.shape), [cond, lr, w, gs[i]], 'float32');
  });
}
