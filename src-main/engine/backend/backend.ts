/**
 * Picks and starts the tfjs backend. `auto` tries, in order (BACKEND_NAMES): tensorflow (libtensorflow through the
 * optional @tensorflow/tfjs-node-gpu / tfjs-node), webgpu (Dawn from the `webgpu` package), wasm, cpu.
 */
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import * as tf from './tf';
import { BACKEND_NAMES, type BackendChoice, type BackendName, type BackendReport } from '../../protocol/engine-types';
import { UserError } from '../errors';
import { applyFlagOverrides } from './tfjs-flags';
import { wasmBinariesDir } from './wasm-binaries';
import { shareClonesOnWasm } from './wasm-identity';
import { startWebgpu } from './webgpu-device';

export type { BackendChoice, BackendName };

/** The backend in use, the device in words ("NVIDIA H100 80GB HBM3 (WebGPU on Dawn)"), and what `auto` skipped and why. */
export type BackendInfo = BackendReport;

const require = createRequire(import.meta.url);

/**
 * Each starter returns the device description, or throws with the reason the backend cannot run here. `auto`:
 * reached by `auto` (which moves on to the next backend when this one refuses), not named by the user.
 */
const starters: Record<BackendName, (auto: boolean) => Promise<string>> = {
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
  webgpu: (auto) => startWebgpu(auto, () => activate('webgpu'), () => Boolean(tf.findBackend('webgpu'))),
  async wasm() {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(wasmBinariesDir());
    await activate('wasm');
    shareClonesOnWasm();
    return `CPU: ${cpuModel()} (WebAssembly SIMD, 1 thread)`;
  },
  async cpu() {
    await import('@tensorflow/tfjs-backend-cpu');
    await activate('cpu');
    return `CPU: ${cpuModel()} (plain JavaScript)`;
  },
};

let current: BackendInfo | null = null;

/** The backend started, or null before initBackend (tf.getBackend() would start one). */
export const activeBackend = (): BackendName | null => current?.name ?? null;

export async function initBackend(choice: BackendChoice = 'auto'): Promise<BackendInfo> {
  if (current && (choice === 'auto' || choice === current.name)) return current;
  if (choice !== 'auto') {
    try {
      current = { name: choice, device: await starters[choice](false), skipped: [] };
      return current;
    } catch (err) {
      throw new UserError(`the ${choice} backend cannot run here: ${firstLine(err)}`, 'Choose another backend (--backend auto picks the best one that works).');
    }
  }
  const skipped: Array<{ name: BackendName; reason: string }> = [];
  for (const name of BACKEND_NAMES) {
    try {
      current = { name, device: await starters[name](true), skipped };
      return current;
    } catch (err) {
      skipped.push({ name, reason: firstLine(err) });
    }
  }
  throw new UserError(`no tfjs backend could start: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
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

function cpuModel(): string {
  const list = cpus();
  return `${list[0]?.model.trim() ?? 'unknown'}, ${list.length} cores`;
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}
