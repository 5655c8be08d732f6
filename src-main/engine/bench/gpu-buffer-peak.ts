/**
 * The most GPU memory tfjs's tensors held at once (the webgpu backend's buffers in use, pooled ones not
 * counted): the figure to set beside PyTorch's max_memory_allocated, where nvidia-smi also counts tfjs's pool of
 * freed buffers and the driver's own. Measured by watching the backend's buffer manager while a benchmark runs.
 */
import * as tf from '../backend/tf';

interface BufferManager {
  numBytesUsed: number;
  acquireBuffer: (...args: unknown[]) => GPUBuffer;
}

export class GpuBufferPeak {
  private peak = 0;
  private restore: (() => void) | null = null;

  /** Starts watching; does nothing (and `bytes` stays null) on backends other than webgpu. */
  start(): void {
    if (tf.getBackend() !== 'webgpu') return;
    const manager = (tf.backend() as unknown as { bufferManager: BufferManager }).bufferManager;
    const acquire = manager.acquireBuffer;
    manager.acquireBuffer = (...args) => {
      const buffer = acquire.apply(manager, args);
      this.peak = Math.max(this.peak, manager.numBytesUsed);
      return buffer;
    };
    this.restore = () => (manager.acquireBuffer = acquire);
  }

  stop(): number | null {
    if (!this.restore) return null;
    this.restore();
    this.restore = null;
    return this.peak;
  }
}
