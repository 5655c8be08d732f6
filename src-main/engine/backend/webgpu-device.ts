/**
 * WebGPU on Dawn (npm `webgpu`): finding an adapter, Dawn's options, and the device's name as the user knows it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { installDawnEventPump } from './dawn-event-pump';
import { watchDevice } from './device-health';

let webgpuDevice: string | null = null;
/** The adapter in full (vendor, architecture, device, and the driver's description with its version). */
let webgpuAdapter: string | null = null;

/**
 * The webgpu adapter, driver version included, as what is measured on it is kept by (tuned GEMM plans); null
 * before webgpu has started.
 */
export const webgpuAdapterIdentity = (): string | null => webgpuAdapter;

/**
 * Makes Dawn's GPU the tfjs webgpu backend's (`activate` then sets it); returns the device in words. `auto` passes
 * a software adapter by, which a user who names webgpu gets anyway (the webgpu tests on a machine without a GPU).
 */
export async function startWebgpu(auto: boolean, activate: () => Promise<void>, hasBackend: () => boolean): Promise<string> {
  // tfjs keeps the one webgpu backend it made: switching back to it must not open a second Dawn instance
  // (the first one, no longer referenced, would be collected under the live device).
  if (webgpuDevice && hasBackend()) {
    await activate();
    return webgpuDevice;
  }
  const missing = missingGpuLoader();
  if (missing) throw new Error(missing);
  const { create, globals } = (await import('webgpu')) as { create: (flags: string[]) => GPU; globals: object };
  const gpu = create(dawnFlags());
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error('Dawn found no GPU adapter (no Vulkan, Metal or D3D12 driver)');
  const i = adapter.info;
  // A software rasteriser (Mesa's lavapipe/llvmpipe, SwiftShader, WARP) trains about 100x slower than wasm.
  const software = isSoftwareAdapter(adapter);
  if (software && auto) throw new Error(`only a software adapter was found (${i.description || i.device || i.vendor}); --backend webgpu uses it anyway`);
  Object.assign(globalThis, globals);
  installDawnEventPump();
  Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  await import('@tensorflow/tfjs-backend-webgpu');
  await activate();
  watchDevice();
  const name = software
    ? `${(i.description || i.device || 'software adapter').split(':')[0]} (software ${process.platform === 'linux' ? 'Vulkan' : 'GPU'})`
    : (i.vendor.toLowerCase().includes('nvidia') && nvidiaGpuName()) || [i.vendor, i.architecture, i.device].filter(Boolean).join(' ') || i.description || 'GPU';
  webgpuDevice = `${name} (WebGPU on Dawn)`;
  webgpuAdapter = `${[i.vendor, i.architecture, i.device].filter(Boolean).join(' ')} · ${i.description}`;
  return webgpuDevice;
}

/**
 * Dawn's options. Robustness (a bounds clamp on every buffer access, a web browser's defence against hostile
 * shaders) is off: the kernels here are our own and tfjs's, bounds-checked where needed, and with it on a
 * training step of Qwen2.5-0.5B on an H100 took 991 ms instead of 554. Timestamp quantization (timer
 * precision cut to thwart timing attacks) is off too: `bench --profile` times short kernels with them.
 * TUNEBOARD_DAWN_FLAGS replaces these for experiments (see the webgpu package's README for the syntax).
 */
function dawnFlags(): string[] {
  const custom = process.env['TUNEBOARD_DAWN_FLAGS'];
  return custom === undefined ? ['enable-dawn-features=disable_robustness', 'disable-dawn-features=timestamp_quantization'] : custom.split(/\s+/).filter(Boolean);
}

/** Dawn's fallback flag (on adapter.info in newer Dawn, on the adapter in older), or Mesa's "software" architecture. */
function isSoftwareAdapter(adapter: GPUAdapter): boolean {
  const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  return Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter) || info.architecture === 'software';
}

/** The GPU's marketing name from nvidia-smi ("NVIDIA H100 80GB HBM3"), when it is there. */
function nvidiaGpuName(): string | null {
  try {
    return execFileSync('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], { timeout: 3000, encoding: 'utf8' }).split('\n')[0]!.trim() || null;
  } catch {
    return null;
  }
}

/**
 * Dawn prints a warning of its own when it cannot load the Vulkan loader; on Linux check for the
 * loader first so `auto` skips webgpu quietly, with the reason.
 */
function missingGpuLoader(): string | null {
  if (process.platform !== 'linux') return null;
  const dirs = [...(process.env['LD_LIBRARY_PATH'] ?? '').split(':'), '/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/lib/x86_64-linux-gnu', '/lib64'];
  if (dirs.some((d) => d && existsSync(join(d, 'libvulkan.so.1')))) return null;
  return 'no Vulkan loader (libvulkan.so.1) is installed; install your GPU driver and libvulkan1';
}
