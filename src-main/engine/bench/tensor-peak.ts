/**
 * The most bytes tfjs's tensors held at once, on any backend: watched where tfjs makes and frees each tensor's
 * data, so the peak inside a backward pass is seen, not only the bytes left at its end. Counted by data buffer,
 * not by tensor: tfjs's own count (tf.memory().numBytes) adds a reshape, a clone or a tensor saved for the
 * backward pass as often as it is referenced, though they share one buffer. On webgpu GpuUsage watches the
 * buffers themselves; this is the same figure for wasm and cpu, whose tensors live in the process (the wasm heap
 * never shrinks, so the process's memory cannot tell).
 */
import * as tf from '../backend/tf';

interface TrackingEngine {
  trackTensor(tensor: { dataId: object }, backend: unknown): void;
  removeDataId(dataId: object, backend: unknown): void;
  state: { numBytes: number; tensorInfo: { has(dataId: object): boolean; get(dataId: object): { bytes: number } | undefined } };
}

export class TensorPeak {
  private live = 0;
  private peak = 0;
  private restore: (() => void) | null = null;

  /** Starts watching; the bytes tensors hold now count as one buffer each (no views are expected between steps). */
  start(): void {
    const engine = tf.engine() as unknown as TrackingEngine;
    const { trackTensor, removeDataId } = engine;
    this.live = this.peak = engine.state.numBytes;
    engine.trackTensor = (tensor, backend) => {
      const fresh = !engine.state.tensorInfo.has(tensor.dataId);
      trackTensor.call(engine, tensor, backend);
      if (fresh) this.live += engine.state.tensorInfo.get(tensor.dataId)?.bytes ?? 0;
      this.peak = Math.max(this.peak, this.live);
    };
    engine.removeDataId = (dataId, backend) => {
      const bytes = engine.state.tensorInfo.get(dataId)?.bytes ?? 0;
      removeDataId.call(engine, dataId, backend);
      if (!engine.state.tensorInfo.has(dataId)) this.live -= bytes;
    };
    this.restore = () => Object.assign(engine, { trackTensor, removeDataId });
  }

  /** The peak since start, in bytes. */
  stop(): number {
    this.restore?.();
    this.restore = null;
    return this.peak;
  }
}
