/**
 * How many GPU programs tfjs's webgpu backend dispatches (ours and its own kernels): with the time JavaScript
 * takes to queue a step, it gives the host's cost per dispatch. Counted by watching the backend's one entry point
 * for programs while a benchmark runs.
 */
import * as tf from '../backend/tf';

interface ProgramRunner {
  runWebGPUProgram: (...args: unknown[]) => unknown;
}

export class GpuDispatchCount {
  /** Programs dispatched since `start`. */
  count = 0;
  private restore: (() => void) | null = null;

  /** Starts counting; does nothing (and `watching` stays false) on backends other than webgpu. */
  start(): void {
    if (tf.getBackend() !== 'webgpu') return;
    const backend = tf.backend() as unknown as ProgramRunner;
    const run = backend.runWebGPUProgram;
    backend.runWebGPUProgram = (...args) => {
      this.count++;
      return run.apply(backend, args);
    };
    this.restore = () => (backend.runWebGPUProgram = run);
  }

  get watching(): boolean {
    return this.restore !== null;
  }

  stop(): void {
    this.restore?.();
    this.restore = null;
  }
}
