/**
 * A GPU device can be lost (driver reset, another process, sleep), and a kernel can fail validation (its
 * results are then garbage, not an exception): the first of either is remembered for the next check.
 */
import { UserError } from '../errors';
import * as tf from './tf';

let deviceLost: string | null = null;
let kernelError: string | null = null;

/** Starts watching the webgpu backend's device. */
export function watchDevice(): void {
  const device = (tf.backend() as unknown as { device?: GPUDevice }).device;
  void device?.lost.then((info) => {
    deviceLost = info.message || info.reason || 'unknown reason';
  });
  device?.addEventListener('uncapturederror', (event) => {
    kernelError ??= (event as GPUUncapturedErrorEvent).error.message.split('\n')[0] ?? 'unknown error';
  });
}

/** Throws a clear error once the GPU device is gone or a kernel failed; training calls it between steps. */
export function assertDeviceAlive(): void {
  if (deviceLost !== null) {
    throw new UserError(`the GPU device was lost (${deviceLost})`, 'Restart TuneBoard (or the command) and resume the run from its last checkpoint.');
  }
  if (kernelError !== null) {
    throw new UserError(`a GPU kernel failed (${kernelError}); results since then are not valid`, 'Report this with the output of `tuneboard info`; meanwhile train with --backend wasm.');
  }
}
