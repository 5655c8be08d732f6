/**
 * The backends the kernel tests run on: wasm (the plain-ops implementations and the hand-written backward
 * passes) and, where Dawn finds an adapter, webgpu (the WGSL kernels) — in CI Mesa's lavapipe, see
 * tests/webgpu-backend.ts. Each suite starts its backend in beforeAll.
 */
import { webgpuTests } from '../webgpu-backend';

export const KERNEL_BACKENDS: Array<'wasm' | 'webgpu'> = webgpuTests ? ['wasm', 'webgpu'] : ['wasm'];
