/**
 * The most GPU memory tfjs's tensors held at once (the webgpu backend's buffers in use, pooled ones not
 * counted): the figure to set beside PyTorch's max_memory_allocated, where nvidia-smi also counts tfjs's pool of
 * freed buffers and the driver's own. Also the most tfjs had allocated, pool included: what nvidia-smi sees of
 * tfjs. Measured by watching the backend's buffer manager while a benchmark runs.
 */
import * as tf from '../backend/tf';

interface BufferManager {
  numBytesUsed: number;
  numBytesAllocated: number;
  acquireBuffer: (...args: unknown[]) => GPUBuffer;
}

export class GpuBufferPeak {
  private used = 0;
  private allocated = 0;
  private restore: (() => void) | null = null;

  /** Starts watching; does nothing (and `stop` returns null) on backends other than webgpu. */
  start(): void {
    if (tf.getBackend() !== 'webgpu') return;
    const manager = (tf.backend() as unknown as { bufferManager: BufferManager }).bufferManager;
    const acquire = manager.acquireBuffer;
    manager.acquireBuffer = (...args) => {
      const buffer = acquire.apply(manager, args);
      this.used = Math.max(this.used, manager.numBytesUsed);
      this.allocated = Math.max(this.allocated, manager.numBytesAllocated);
      return buffer;
    };
    this.restore = () => (manager.acquireBuffer = acquire);
  }

  /** Bytes in use by tensors and bytes allocated (pool included), each at its most; null when nothing was watched. */
  stop(): { used: number; allocated: number } | null {
    if (!this.restore) return null;
    this.restore();
    this.restore = null;
    return { used: this.used, allocated: this.allocated };
  }
}
