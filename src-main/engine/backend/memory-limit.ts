/**
 * A memory budget for training (TUNEBOARD_MEMORY_LIMIT=8GB, or `tuneboard train --memory-limit 8GB`): to train on a
 * GPU that other programs share, or to leave RAM to them. The engine counts the bytes its tensors hold, by data
 * buffer (as bench's tensor peak and the forecast's tensor peak count them), and fails the allocation that would
 * pass the budget with the OutOfMemoryError a real failure gives, so a run stops there the same way, with the
 * same message and fixes. On webgpu tfjs's pool of freed buffers is given back before it would take the device
 * past the budget.
 */
import { UserError } from '../errors';
import { formatBytes } from '../../protocol/quantities';
import { parseSize } from '../byte-sizes';
import { activeBackend } from './backend';
import { releasePooledMemory } from './buffer-pool';
import { OutOfMemoryError } from './out-of-memory';
import * as tf from './tf';

export const MEMORY_LIMIT_VARIABLE = 'TUNEBOARD_MEMORY_LIMIT';

/** The limit TUNEBOARD_MEMORY_LIMIT sets, in bytes; null when it is unset or empty. */
export function memoryLimitFromEnvironment(env: NodeJS.ProcessEnv = process.env): number | null {
  const text = env[MEMORY_LIMIT_VARIABLE]?.trim();
  return text ? memoryLimitOf(text, MEMORY_LIMIT_VARIABLE) : null;
}

/** A size as the user wrote it ("8GB", "500MB", "1GiB"), `source` naming where (the variable, the flag). */
export function memoryLimitOf(text: string, source: string): number {
  try {
    return parseSize(text);
  } catch {
    throw new UserError(`${source}: "${text}" is not a size`, 'Write it like 8GB, 500MB or 1GiB.');
  }
}

interface TrackingEngine {
  trackTensor(tensor: tf.Tensor, backend: tf.KernelBackend | undefined): void;
  removeDataId(dataId: object, backend: tf.KernelBackend): void;
  readonly backend: tf.KernelBackend;
  state: { numBytes: number; tensorInfo: { has(dataId: object): boolean; get(dataId: object): { bytes: number } | undefined } };
}

interface BufferManager {
  acquireBuffer(size: number, usage: number, ...rest: unknown[]): GPUBuffer;
  freeBuffers: Map<string, GPUBuffer[]>;
  numBytesAllocated: number;
}

/**
 * Enforces `limit` bytes from now on; returns the function that lifts it. The bytes tensors hold now count
 * against it (each tensor as one buffer: no views are expected between jobs).
 */
export function limitMemory(limit: number): () => void {
  const engine = tf.engine() as unknown as TrackingEngine;
  const { trackTensor, removeDataId } = engine;
  let held = engine.state.numBytes;
  engine.trackTensor = (tensor, backend) => {
    const fresh = !engine.state.tensorInfo.has(tensor.dataId);
    const bytes = fresh && tensor.dtype !== 'string' && tensor.dtype !== 'complex64' ? tensor.size * tf.util.bytesPerElement(tensor.dtype) : 0;
    if (fresh && held + bytes > limit) {
      // The backend made the data already; nothing else refers to it yet.
      (backend ?? engine.backend).disposeData(tensor.dataId, true);
      throw new OutOfMemoryError(`${formatBytes(bytes)} more would pass the memory limit of ${formatBytes(limit)} (${formatBytes(held)} held)`, 'device', held + bytes, limit);
    }
    trackTensor.call(engine, tensor, backend);
    held += bytes;
  };
  engine.removeDataId = (dataId, backend) => {
    const bytes = engine.state.tensorInfo.get(dataId)?.bytes ?? 0;
    removeDataId.call(engine, dataId, backend);
    if (!engine.state.tensorInfo.has(dataId)) held -= bytes;
  };
  const restorePool = activeBackend() === 'webgpu' ? keepPoolWithin(limit) : () => {};
  return () => {
    Object.assign(engine, { trackTensor, removeDataId });
    restorePool();
  };
}

/** tfjs-webgpu keeps every freed buffer for reuse: before a new buffer would take the total past `limit`, the pool is given back. */
function keepPoolWithin(limit: number): () => void {
  const manager = (tf.backend() as unknown as { bufferManager: BufferManager }).bufferManager;
  const acquire = manager.acquireBuffer;
  manager.acquireBuffer = (size, usage, ...rest) => {
    const pooled = manager.freeBuffers.get(`${size}_${usage}`)?.length ?? 0;
    if (pooled === 0 && manager.numBytesAllocated + size > limit) releasePooledMemory();
    return acquire.call(manager, size, usage, ...rest);
  };
  return () => {
    manager.acquireBuffer = acquire;
  };
}
