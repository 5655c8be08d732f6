/**
 * Our WGSL kernels run through tfjs's own WebGPU program machinery (buffer pool, pipeline cache, uniforms,
 * command batching), so they share one command stream with tfjs's kernels. tfjs writes the shader's header:
 * `result` (the output array), one storage array per name in `variableNames`, and `uniforms` holding each
 * input's shape followed by the fields a program declares. Each program here is a plain object built by a
 * function, and its `key` names everything that changes the shader text (the pipeline cache key).
 */
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import * as tf from '../backend/tf';

export const onWebgpu = (): boolean => tf.getBackend() === 'webgpu';

/** The active backend as tfjs's WebGPU class (call only when `onWebgpu()`). */
export const webgpuBackend = (): WebGPUBackend => tf.backend() as unknown as WebGPUBackend;

export interface ProgramSpec {
  /** Everything that changes the WGSL text: tfjs caches one pipeline per key (and input shapes' ranks). */
  key: string;
  inputs: string[];
  /** Per input, 4 to bind it as vec4s (its reads then index vec4s), else 1 (the default: f32s). */
  components?: number[];
  outputShape: number[];
  workgroupSize: [number, number, number];
  dispatch: [number, number, number];
  /** Scalar uniforms after tfjs's own, read in WGSL as `uniforms.<name>`, filled in order by runProgram's `values`. */
  uniforms?: Array<[name: string, type: 'i32' | 'f32']>;
  /** `fn main(index : i32)` for flat dispatches, where `index` is the global invocation index; `fn main()` otherwise. */
  flat: boolean;
  code: string;
}

export function runProgram(spec: ProgramSpec, inputs: tf.Tensor[], values: number[] = []): tf.Tensor {
  const fields = spec.uniforms ?? [];
  if (values.length !== fields.length) throw new Error(`${spec.key}: ${fields.length} uniforms, ${values.length} values`);
  const rank = spec.outputShape.length;
  const program: WebGPUProgram = {
    shaderKey: spec.key,
    variableNames: spec.inputs,
    ...(spec.components ? { variableComponents: spec.components } : {}),
    outputShape: spec.outputShape,
    workgroupSize: spec.workgroupSize,
    dispatch: spec.dispatch,
    // A flat layout makes tfjs call main(globalIndex), and fold an oversized dispatch into 2-D for us.
    dispatchLayout: spec.flat ? { x: Array.from({ length: rank }, (_, i) => i) } : { x: [0], y: [1], z: [2] },
    uniforms: fields.map(([name, type]) => `${name} : ${type},`).join(' '),
    getUserCode: () => spec.code,
  };
  return tf.engine().makeTensorFromTensorInfo(webgpuBackend().runWebGPUProgram(program, inputs, 'float32', fields.map(([, type], i) => ({ type: type === 'f32' ? 'float32' : 'int32', data: [values[i]!] }))));
}

/**
 * Submits the commands tfjs has batched so far. tfjs gives back the buffer of a tensor disposed while a batched
 * command still uses it only when the batch is submitted (every 15 dispatches), so a large tensor made right
 * after another was disposed would get a second buffer; after this call it reuses the first.
 */
export function submitBatchedCommands(): void {
  if (!onWebgpu()) return;
  const backend = webgpuBackend();
  if (!(backend as unknown as { commandEncoder: unknown }).commandEncoder) return; // private in tfjs's types
  backend.endComputePassEncoder();
  backend.submitQueue();
}

/**
 * tfjs's own per-program timer (private in its types): while `activeTimers` is an array, every program runs in
 * a compute pass of its own with timestamp writes, and its GPU time is pushed there as `{name, query}`.
 */
export interface TimedBackend {
  activeTimers: Array<{ name: string; query: Promise<number> }> | null;
  supportTimestampQuery: boolean;
}

/** Whether this device can time programs (timestamp queries). */
export function canTimePrograms(): boolean {
  return onWebgpu() && (webgpuBackend() as unknown as TimedBackend).supportTimestampQuery;
}

/**
 * Runs `work` with every program it queues timed on the GPU (each then gets a compute pass and a submit of its
 * own, so keep it apart from work timed as a whole); resolves to the programs' names and milliseconds, in order.
 * Call only where canTimePrograms().
 */
export async function timePrograms(work: () => unknown): Promise<Array<{ name: string; ms: number }>> {
  const backend = webgpuBackend() as unknown as TimedBackend;
  const timers: NonNullable<TimedBackend['activeTimers']> = [];
  backend.activeTimers = timers;
  try {
    await work();
  } finally {
    backend.activeTimers = null;
  }
  return Promise.all(timers.map(async (t) => ({ name: t.name, ms: await t.query })));
}

/** The most float32 elements one storage binding may hold on this device (128 MiB on some drivers). */
export function maxBindingElements(): number {
  return Math.floor(webgpuBackend().device.limits.maxStorageBufferBindingSize / 4);
}

/** What a device can hold: float32 elements in one storage binding, bytes of workgroup memory a program declares. */
export interface DeviceLimits {
  maxElements: number;
  maxWorkgroupBytes: number;
}

/** This device's limits (workgroup memory: 16 KiB at WebGPU's minimum). */
export function deviceLimits(): DeviceLimits {
  return { maxElements: maxBindingElements(), maxWorkgroupBytes: webgpuBackend().device.limits.maxComputeWorkgroupStorageSize };
}

/** One workgroup per row of `rows`, `threads` invocations each; the program reads `row` and `tid`. */
export function rowDispatch(rows: number, threads: number): Pick<ProgramSpec, 'workgroupSize' | 'dispatch' | 'flat'> {
  return { workgroupSize: [threads, 1, 1], dispatch: [rows, 1, 1], flat: true };
}

/**
 * A program of one invocation per element of `outputShape`, in workgroups of 256: `body` runs for each `index`
 * below the element count, which runProgram's values give first (`uniforms.count`), before the program's own.
 */
export function elementwise(spec: Pick<ProgramSpec, 'key' | 'inputs' | 'outputShape'> & { uniforms?: ProgramSpec['uniforms']; body: string }): ProgramSpec {
  const size = tf.util.sizeFromShape(spec.outputShape);
  return {
    key: spec.key,
    inputs: spec.inputs,
    outputShape: spec.outputShape,
    workgroupSize: [256, 1, 1],
    dispatch: [Math.ceil(size / 256), 1, 1],
    flat: true,
    uniforms: [['count', 'i32'], ...(spec.uniforms ?? [])],
    code: `
      fn main(index : i32) {
        if (index >= uniforms.count) { return; }
        ${spec.body}
      }`,
  };
}

/**
 * WGSL for a row kernel's reductions: `declarations` once at module scope (a workgroup array of `threads`
 * partials and `sumOf`), then `reduce(value, op, total)` inside main, where `tid` is the invocation's index,
 * leaves op(value over the workgroup) in `total` for every invocation. op: `sumOf` or `max`.
 */
export function workgroupReduction(threads: number) {
  return {
    declarations: `
      var<workgroup> partial : array<f32, ${threads}>;
      fn sumOf(a : f32, b : f32) -> f32 { return a + b; }`,
    reduce: (value: string, op: 'sumOf' | 'max', total: string) => `
      partial[tid] = ${value};
      workgroupBarrier();
      for (var width = ${threads / 2}; width > 0; width = width / 2) {
        if (tid < width) { partial[tid] = ${op}(partial[tid], partial[tid + width]); }
        workgroupBarrier();
      }
      let ${total} = partial[0];
      workgroupBarrier();`,
  };
}
