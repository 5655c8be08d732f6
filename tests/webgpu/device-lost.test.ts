/** A lost GPU device (driver reset, sleep) becomes a clear error at the next check between training steps. */
import { describe, expect, test } from 'vitest';
import { assertDeviceAlive } from '../../src-main/engine/backend/device-health';
import * as tf from '../../src-main/engine/backend/tf';
import { webgpuBackend } from '../../src-main/engine/ops/webgpu-kernel';
import { UserError } from '../../src-main/engine/errors';
import { webgpuTests } from '../webgpu-backend';

function caught(f: () => void): unknown {
  try {
    f();
  } catch (err) {
    return err;
  }
  return null;
}

describe.runIf(webgpuTests)('assertDeviceAlive on webgpu', () => {
  test('passes while the device works, then names the loss and what to do', async () => {
    expect(await tf.add(tf.ones([4]), 1).data()).toEqual(new Float32Array([2, 2, 2, 2]));
    expect(() => assertDeviceAlive()).not.toThrow();
    const device = webgpuBackend().device;
    device.destroy(); // this test file's process only: Vitest runs each file in a fork of its own
    await device.lost;
    await new Promise((resolve) => setImmediate(resolve)); // the watcher's own handler runs after ours
    const error = caught(assertDeviceAlive);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(/^the GPU device was lost \(.+\)$/);
    expect((error as UserError).hint).toMatch(/resume the run from its last checkpoint/);
  });
});
