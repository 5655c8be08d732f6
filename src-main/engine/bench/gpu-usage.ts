/**
 * What a benchmark asks of tfjs's webgpu backend, watched at its buffer manager and at its one entry point for
 * programs: the most bytes tensors held at once (buffers in use, pooled ones not counted: the figure to set
 * beside PyTorch's max_memory_allocated), the most bytes allocated, pool of freed buffers included (what
 * nvidia-smi sees of tfjs, less the driver's own), the GPU programs dispatched (with the time JavaScript
 * takes to queue a step, the host's cost per dispatch), and on request each program's GPU time.
 */
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import type { TensorInfo } from '../backend/tf';
import { canTimePrograms, onWebgpu, timePrograms, webgpuBackend, type TimedBackend } from '../ops/webgpu-kernel';

/** GPU time of the programs that share a label, over the work timed. */
export interface ProgramTime {
  readonly kernel: string;
  readonly ms: number;
  readonly calls: number;
}

export class GpuUsage {
  /** Programs dispatched since `start`. */
  programs = 0;
  private used = 0;
  private allocated = 0;
  private restore: (() => void) | null = null;

  /** Starts watching; does nothing (`watching` stays false, `stop` returns null) on backends other than webgpu. */
  start(): void {
    if (!onWebgpu()) return;
    const backend = webgpuBackend();
    const timed = backend as unknown as TimedBackend;
    const manager = backend.bufferManager;
    const acquire = manager.acquireBuffer;
    const run = backend.runWebGPUProgram;
    manager.acquireBuffer = (...args) => {
      const buffer = acquire.apply(manager, args);
      this.used = Math.max(this.used, manager.numBytesUsed);
      this.allocated = Math.max(this.allocated, manager.numBytesAllocated);
      return buffer;
    };
    backend.runWebGPUProgram = (program, inputs, ...rest) => {
      this.programs++;
      const timers = timed.activeTimers;
      const before = timers?.length ?? 0;
      // tfjs names a timed program by its class (ours are plain objects), and extends its key as it runs it.
      const label = timers ? programLabel(program, inputs) : '';
      const output = run.call(backend, program, inputs, ...rest);
      if (timers && timers.length > before) timers[timers.length - 1]!.name = label;
      return output;
    };
    this.restore = () => {
      manager.acquireBuffer = acquire;
      backend.runWebGPUProgram = run;
    };
  }

  get watching(): boolean {
    return this.restore !== null;
  }

  /**
   * Runs `work` with every program timed on the GPU (timestamp queries; each program then gets a compute pass and
   * a submit of its own, so run it apart from timed steps), summed by label, largest first. Null where the
   * device has no timestamp queries or nothing is watched.
   */
  async programTimes(work: () => Promise<unknown>): Promise<ProgramTime[] | null> {
    if (!this.watching || !canTimePrograms()) return null;
    return totalByKernel((await timePrograms(work)).map(({ name, ms }) => ({ kernel: name, ms })));
  }

  /** Bytes in use by tensors and bytes allocated (pool included), each at its most; null when nothing was watched. */
  stop(): { used: number; allocated: number } | null {
    if (!this.restore) return null;
    this.restore();
    this.restore = null;
    return { used: this.used, allocated: this.allocated };
  }
}

/** Times summed per kernel name, with the calls counted, largest first. */
export function totalByKernel(times: ReadonlyArray<{ readonly kernel: string; readonly ms: number }>): ProgramTime[] {
  const byKernel = new Map<string, { ms: number; calls: number }>();
  for (const { kernel, ms } of times) {
    const e = byKernel.get(kernel) ?? { ms: 0, calls: 0 };
    byKernel.set(kernel, { ms: e.ms + ms, calls: e.calls + 1 });
  }
  return [...byKernel].map(([kernel, e]) => ({ kernel, ...e })).sort((a, b) => b.ms - a.ms);
}

/** `key(operand shapes) → output shape`: our programs' keys name the variant (tiles, layout), tfjs's their class. */
function programLabel(program: WebGPUProgram, inputs: TensorInfo[]): string {
  const name = program.shaderKey.startsWith('tb') ? program.shaderKey : program.constructor.name;
  return `${name}(${inputs.map((t) => t.shape.join('x')).join(', ')}) → ${program.outputShape.join('x')}`;
}
