/**
 * What a benchmark asks of tfjs's webgpu backend, watched at its buffer manager and at its one entry point for
 * programs: the most bytes tensors held at once (buffers in use, pooled ones not counted: the figure to set
 * beside PyTorch's max_memory_allocated), the most bytes allocated, pool of freed buffers included (what
 * nvidia-smi sees of tfjs, less the driver's own), and the GPU programs dispatched (with the time JavaScript
 * takes to queue a step, the host's cost per dispatch).
 */
import { onWebgpu, webgpuBackend } from '../ops/webgpu-kernel';

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
    const manager = backend.bufferManager;
    const acquire = manager.acquireBuffer;
    const run = backend.runWebGPUProgram;
    manager.acquireBuffer = (...args) => {
      const buffer = acquire.apply(manager, args);
      this.used = Math.max(this.used, manager.numBytesUsed);
      this.allocated = Math.max(this.allocated, manager.numBytesAllocated);
      return buffer;
    };
    backend.runWebGPUProgram = (...args) => {
      this.programs++;
      return run.apply(backend, args);
    };
    this.restore = () => {
      manager.acquireBuffer = acquire;
      backend.runWebGPUProgram = run;
    };
  }

  get watching(): boolean {
    return this.restore !== null;
  }

  /** Bytes in use by tensors and bytes allocated (pool included), each at its most; null when nothing was watched. */
  stop(): { used: number; allocated: number } | null {
    if (!this.restore) return null;
    this.restore();
    this.restore = null;
    return { used: this.used, allocated: this.allocated };
  }
}
