/**
 * For test files of the webgpu backend: importing this module starts webgpu in the test file's process (Vitest
 * runs each file in a fork of its own, and the tfjs backend is process-wide), and `webgpuTests` says whether
 * they run:
 *
 *   import { webgpuTests } from '../webgpu-backend';
 *   describe.runIf(webgpuTests)('...', () => { ... });
 *
 * Where webgpu cannot start (no GPU, no Vulkan driver) the suite is skipped with a note, unless
 * TUNEBOARD_WEBGPU_TESTS=required (CI, on lavapipe from scripts/lavapipe.sh): then the file fails with the reason.
 */
import { initBackend } from '../src-main/engine/backend/backend';

async function startWebgpu(): Promise<boolean> {
  try {
    const { device } = await initBackend('webgpu');
    console.log(`webgpu tests on ${device}`);
    return true;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    if (process.env['TUNEBOARD_WEBGPU_TESTS'] === 'required') {
      throw new Error(`TUNEBOARD_WEBGPU_TESTS=required, but ${reason}`);
    }
    console.warn(
      `webgpu tests skipped: ${reason}. Without a GPU, run them on software Vulkan: eval "$(scripts/lavapipe.sh .cache/lavapipe)"; ` +
        'TUNEBOARD_WEBGPU_TESTS=required makes this a failure.',
    );
    return false;
  }
}

export const webgpuTests: boolean = await startWebgpu();
