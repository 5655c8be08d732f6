/**
 * tfjs's WebGPU backend never gives a freed buffer back to the driver: it keeps it, by size, for a tensor of the
 * same size. Between jobs (a training run, then a chat) that would hold the last job's peak for good.
 */
import { activeBackend } from './backend';
import * as tf from './tf';

interface BufferPool {
  freeBuffers: Map<string, GPUBuffer[]>;
  numFreeBuffers: number;
  numBytesAllocated: number;
}

/**
 * Destroys the pooled buffers (those whose size in bytes `which` accepts; all by default), not the ones tensors
 * use, and returns the bytes given back. The pool's keys stay: tfjs stops pooling once its map is empty.
 */
export function releasePooledMemory(which: (bytes: number) => boolean = () => true): number {
  if (activeBackend() !== 'webgpu') return 0;
  const pool = (tf.backend() as unknown as { bufferManager: BufferPool }).bufferManager;
  let released = 0;
  for (const buffers of pool.freeBuffers.values()) {
    if (buffers.length === 0 || !which(buffers[0]!.size)) continue; // one size per key
    for (const buffer of buffers) {
      released += buffer.size;
      buffer.destroy();
    }
    pool.numFreeBuffers -= buffers.length;
    buffers.length = 0;
  }
  pool.numBytesAllocated -= released;
  return released;
}
