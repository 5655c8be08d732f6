/**
 * A GPU device can be lost (driver reset, another process, sleep), and a kernel can fail validation or a buffer
 * fail to be allocated (its results are then garbage, not an exception): the first of each is remembered for the
 * next check.
 */
import { UserError } from '../errors';
import { lostForMemory, OutOfMemoryError, recogniseOutOfMemory } from './out-of-memory';
import * as tf from './tf';

let deviceLost: string | null = null;
let kernelError: string | null = null;
let outOfMemory: OutOfMemoryError | null = null;
/** Once a buffer could not be allocated, the errors of commands that use it follow ("invalid due to a previous error"). */
let sawOutOfMemory = false;

/** Starts watching the webgpu backend's device. */
export function watchDevice(): void {
  const device = (tf.backend() as unknown as { device?: GPUDevice }).device;
  void device?.lost.then((info) => {
    deviceLost = info.message || info.reason || 'unknown reason';
  });
  device?.addEventListener('uncapturederror', (event) => {
    const { error } = event as GPUUncapturedErrorEvent;
    const memory = recogniseOutOfMemory(error, 'webgpu');
    if (memory) {
      outOfMemory ??= memory;
      sawOutOfMemory = true;
    } else if (!(sawOutOfMemory && /due to a previous error/.test(error.message))) {
      kernelError ??= error.message.split('\n')[0] ?? 'unknown error';
    }
  });
}

/** Throws a clear error once the GPU device is gone, out of memory, or a kernel failed; training calls it between steps. */
export function assertDeviceAlive(): void {
  // Reported once: the device itself still works, and the next job may fit.
  if (outOfMemory) {
    const memory = outOfMemory;
    outOfMemory = null;
    throw memory;
  }
  if (deviceLost !== null && lostForMemory(deviceLost)) throw new OutOfMemoryError(`the GPU device was lost (${deviceLost})`, 'device');
  if (deviceLost !== null) {
    throw new UserError(`the GPU device was lost (${deviceLost})`, 'Restart TuneBoard (or the command) and resume the run from its last checkpoint.');
  }
  if (kernelError !== null) {
    throw new UserError(`a GPU kernel failed (${kernelError}); results since then are not valid`, 'Report this with the output of `tuneboard info`; meanwhile train with --backend wasm.');
  }
}
