/**
 * The most bytes tfjs's tensors held at once, on any backend: watched where tfjs counts every tensor it makes
 * (the engine's trackTensor), so the peak inside a backward pass is seen, not only the bytes left at its end.
 * On webgpu GpuUsage watches the buffers themselves; this is the same figure for wasm and cpu, whose tensors live
 * in the process (the wasm heap never shrinks, so the process's memory cannot tell).
 */
import * as tf from '../backend/tf';

interface TrackingEngine {
  trackTensor(tensor: unknown, backend: unknown): void;
  state: { numBytes: number };
}

export class TensorPeak {
  private peak = 0;
  private restore: (() => void) | null = null;

  start(): void {
    const engine = tf.engine() as unknown as TrackingEngine;
    const track = engine.trackTensor;
    this.peak = engine.state.numBytes;
    engine.trackTensor = (...args) => {
      track.apply(engine, args);
      this.peak = Math.max(this.peak, engine.state.numBytes);
    };
    this.restore = () => {
      engine.trackTensor = track;
    };
  }

  /** The peak since start, in bytes. */
  stop(): number {
    this.restore?.();
    this.restore = null;
    return this.peak;
  }
}
