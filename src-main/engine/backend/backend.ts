/**
 * Picks and starts the tfjs backend. `auto` tries, in order: tensorflow (libtensorflow through the optional
 * @tensorflow/tfjs-node-gpu / tfjs-node), webgpu (Dawn from the `webgpu` package), wasm, cpu.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from './tf';
import { BACKEND_NAMES, type BackendChoice, type BackendName, type BackendReport } from '../../protocol/engine-types';
import { UserError } from '../errors';
import { installDawnEventPump } from './dawn-event-pump';

export type { BackendChoice, BackendName };


/** The backend in use, the device in words ("NVIDIA H100 80GB HBM3 (WebGPU on Dawn)"), and what `auto` skipped and why. */
export type BackendInfo = BackendReport;

const require = createRequire(import.meta.url);

/**
 * How a starter is reached: `auto` (which moves on to the next backend when this one refuses), or a backend the
 * user named, which may run where `auto` would not choose it (a software GPU adapter).
 */
interface StartOptions {
  auto: boolean;
}

/** Each starter returns the device description, or throws with the reason the backend cannot run here. */
const starters: Record<BackendName, (options: StartOptions) => Promise<string>> = {
  async tensorflow() {
    let gpu = true;
    try {
      require('@tensorflow/tfjs-node-gpu');
    } catch (errGpu) {
      gpu = false;
      try {
        require('@tensorflow/tfjs-node');
      } catch {
        throw new Error(`@tensorflow/tfjs-node-gpu is not installed or cannot load (${firstLine(errGpu)})`);
      }
    }
    await activate('tensorflow');
    return gpu ? 'libtensorflow (CUDA build)' : 'libtensorflow (CPU build)';
  },
  async webgpu({ auto }) {
    // tfjs keeps the one webgpu backend it made: switching back to it must not open a second Dawn instance
    // (the first one, no longer referenced, would be collected under the live device).
    if (webgpuDevice && tf.findBackend('webgpu')) {
      await activate('webgpu');
      return webgpuDevice;
    }
    const missing = missingGpuLoader();
    if (missing) throw new Error(missing);
    const { create, globals } = (await import('webgpu')) as { create: (flags: string[]) => GPU; globals: object };
    const gpu = create(dawnFlags());
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) throw new Error('Dawn found no GPU adapter (no Vulkan, Metal or D3D12 driver)');
    const i = adapter.info;
    // A software rasteriser (Mesa's lavapipe/llvmpipe, SwiftShader, WARP) trains about 100x slower than wasm:
    // `auto` passes it by; named explicitly (the webgpu tests on a machine without a GPU) it runs.
    const software = isSoftwareAdapter(adapter);
    if (software && auto) throw new Error(`only a software adapter was found (${i.description || i.device || i.vendor}); --backend webgpu uses it anyway`);
    Object.assign(globalThis, globals);
    installDawnEventPump();
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
    await import('@tensorflow/tfjs-backend-webgpu');
    await activate('webgpu');
    watchDevice();
    const name = software
      ? `${(i.description || i.device || 'software adapter').split(':')[0]} (software ${process.platform === 'linux' ? 'Vulkan' : 'GPU'})`
      : (i.vendor.toLowerCase().includes('nvidia') && nvidiaGpuName()) || [i.vendor, i.architecture, i.device].filter(Boolean).join(' ') || i.description || 'GPU';
    webgpuDevice = `${name} (WebGPU on Dawn)`;
    webgpuAdapter = `${[i.vendor, i.architecture, i.device].filter(Boolean).join(' ')} · ${i.description}`;
    return webgpuDevice;
  },
  async wasm() {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(wasmDir());
    await activate('wasm');
    return `CPU: ${cpuModel()} (WebAssembly SIMD, 1 thread)`;
  },
  async cpu() {
    await import('@tensorflow/tfjs-backend-cpu');
    await activate('cpu');
    return `CPU: ${cpuModel()} (plain JavaScript)`;
  },
};

let current: BackendInfo | null = null;

export async function initBackend(choice: BackendChoice = 'auto'): Promise<BackendInfo> {
  if (current && (choice === 'auto' || choice === current.name)) return current;
  if (choice !== 'auto') {
    try {
      current = { name: choice, device: await starters[choice]({ auto: false }), skipped: [] };
      return current;
    } catch (err) {
      throw new UserError(`the ${choice} backend cannot run here: ${firstLine(err)}`, 'Choose another backend (--backend auto picks the best one that works).');
    }
  }
  const skipped: Array<{ name: BackendName; reason: string }> = [];
  for (const name of BACKEND_NAMES) {
    try {
      current = { name, device: await starters[name]({ auto: true }), skipped };
      return current;
    } catch (err) {
      skipped.push({ name, reason: firstLine(err) });
    }
  }
  throw new UserError(`no tfjs backend could start: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}

let webgpuDevice: string | null = null;
/** The adapter in full (vendor, architecture, device, and the driver's description with its version). */
let webgpuAdapter: string | null = null;
let deviceLost: string | null = null;
let kernelError: string | null = null;

/**
 * The webgpu adapter, driver version included, as what is measured on it is kept by (tuned GEMM plans); null
 * before webgpu has started.
 */
export const webgpuAdapterIdentity = (): string | null => webgpuAdapter;

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

/**
 * A GPU device can be lost (driver reset, another process, sleep), and a kernel can fail validation (its
 * results are then garbage, not an exception): remember the first of either, for the next check.
 */
function watchDevice(): void {
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

/** tfjs's WebGPU buffer pool: freed buffers wait there, by size, for reuse. */
interface BufferPool {
  freeBuffers: Map<string, GPUBuffer[]>;
  numFreeBuffers: number;
  numBytesAllocated: number;
}

/**
 * tfjs's WebGPU backend never gives a freed buffer back to the driver: it keeps it for a tensor of the same size.
 * Between jobs (a training run, then a chat) that would hold the last job's peak for good; this destroys the
 * pooled buffers (those whose size in bytes `which` accepts; all by default), not the ones tensors use, and
 * returns the bytes given back. The pool's keys stay: tfjs stops pooling once its map is empty.
 */
export function releasePooledMemory(which: (bytes: number) => boolean = () => true): number {
  // Not tf.getBackend(): before any backend is chosen it would start one.
  if (current?.name !== 'webgpu') return 0;
  const pool = (tf.backend() as unknown as { bufferManager: BufferPool }).bufferManager;
  let released = 0;
  for (const buffers of pool.freeBuffers.values()) {
    if (buffers.length === 0 || !which(buffers[0]!.size)) continue; // one size per key
    for (const buffer of buffers) {
      released += buffer.size;
      buffer.destroy();
    }
    pool.numFreeBuffers -= buffers.length;
    buffers.length = 0;
  }
  pool.numBytesAllocated -= released;
  return released;
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

/** wasm's heap is 32-bit: every tensor must fit in 4 GiB together. Other backends have no such hard limit. */
export function tensorMemoryLimit(name: string): number | null {
  return name === 'wasm' ? 4 * 2 ** 30 : null;
}

/**
 * setBackend resolves false (it does not throw) when a backend fails to initialise, and tells why only
 * through console.warn: collect that as the reason instead of printing it. Once a backend runs,
 * production mode silences tfjs's advice to install tfjs-node and skips its debug checks.
 */
async function activate(name: BackendName): Promise<void> {
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => warnings.push(args.map(String).join(' '));
  try {
    const ok = await tf.setBackend(name);
    if (!ok) {
      const reason = warnings.map((w) => w.split('\n')[0]).find((w) => !w.startsWith('Initialization of backend'));
      throw new Error(reason ?? `tf.setBackend('${name}') failed`);
    }
    await tf.ready();
  } finally {
    console.warn = warn;
  }
  tf.env().set('PROD', true);
  applyFlagOverrides();
}

/**
 * TUNEBOARD_TFJS_FLAGS="NAME=value,NAME=value" sets tfjs flags (e.g. WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE=64), for
 * tuning a backend on a new machine without a rebuild. Values are numbers or true/false.
 */
function applyFlagOverrides(): void {
  for (const pair of (process.env['TUNEBOARD_TFJS_FLAGS'] ?? '').split(',').filter(Boolean)) {
    const [name, value = ''] = pair.split('=');
    const parsed = value === 'true' ? true : value === 'false' ? false : Number(value);
    if (typeof parsed === 'number' && !Number.isFinite(parsed)) throw new UserError(`TUNEBOARD_TFJS_FLAGS: ${pair} is not NAME=number or NAME=true/false`);
    tf.env().set(name!.trim(), parsed);
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

/** The folder of the .wasm binaries: beside the bundle when bundled, else in node_modules. */
function wasmDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  if (existsSync(join(here, 'tfjs-backend-wasm-simd.wasm'))) return here + '/';
  return dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')) + '/dist/';
}

function cpuModel(): string {
  const list = cpus();
  return `${list[0]?.model.trim() ?? 'unknown'}, ${list.length} cores`;
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}
