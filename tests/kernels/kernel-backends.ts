/**
 * The backends the kernel tests run on: webgpu (our WGSL kernels) when Dawn finds an adapter, which in CI is
 * Mesa's lavapipe (scripts/lavapipe.sh), and wasm (the plain-ops implementations and hand-written gradients).
 */
import { initBackend } from '../../src-main/engine/backend/backend';

export async function kernelBackends(): Promise<string[]> {
  await initBackend('webgpu');
  return ['webgpu'];
}
