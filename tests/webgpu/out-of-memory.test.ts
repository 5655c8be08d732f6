/**
 * A run that runs out of GPU memory mid-run (a memory limit below what its batch needs; on lavapipe too): the
 * failure names the step, the phase and the sizes, run.json records it with the fixes, the checkpoints stay, and
 * a resume with the first fix, on the same device, finishes the run.
 */
import { describe, test } from 'vitest';
import { failAndResumeWithFix } from '../out-of-memory-run';
import { webgpuTests } from '../webgpu-backend';

describe.runIf(webgpuTests)('out of memory on webgpu', () => {
  test('out of memory at step 3: the message, the kept checkpoint, and a resume with the suggested settings', async () => {
    // Tuning the matrix products takes a minute on lavapipe, and is not what is tested here.
    process.env['TUNEBOARD_GEMM_TUNING'] = 'off';
    await failAndResumeWithFix('webgpu', 'GPU memory');
  });
});
