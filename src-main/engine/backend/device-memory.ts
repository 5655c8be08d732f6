/**
 * How much memory the chosen backend's device has, where the platform tells it, and what a backend can hold at
 * most where it has a hard limit. WebGPU does not report a device's memory, so it is asked of the driver's own
 * tools: nvidia-smi, AMD's sysfs, the system's total on Apple's unified memory; a software renderer (lavapipe,
 * SwiftShader) uses the process's RAM. Elsewhere the answer is null and the board asks the user.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { freemem, platform, totalmem } from 'node:os';
import { join } from 'node:path';
import type { BackendReport } from '../../protocol/engine-types';
import type { DeviceMemory } from '../../protocol/run-plan';

const WASM_HEAP = 4 * 2 ** 30;

/** wasm's heap is 32-bit: every tensor must fit in 4 GiB together. Other backends have no such hard limit. */
export function tensorMemoryLimit(name: string): number | null {
  return name === 'wasm' ? WASM_HEAP : null;
}

/** Devices that are the CPU under a GPU API: their memory is the process's. */
const SOFTWARE_RENDERERS = /llvmpipe|lavapipe|swiftshader/i;

export async function deviceMemory(report: Pick<BackendReport, 'name' | 'device'>): Promise<DeviceMemory | null> {
  switch (report.name) {
    case 'wasm':
      return { bytes: WASM_HEAP, source: 'wasm-heap' };
    case 'cpu':
      return { bytes: freemem(), source: 'free-ram' };
    case 'tensorflow':
      // tfjs-node-gpu runs on CUDA; tfjs-node without a GPU reports its device as the CPU.
      return (await nvidiaSmiTotal()) ?? { bytes: freemem(), source: 'free-ram' };
    case 'webgpu':
      if (SOFTWARE_RENDERERS.test(report.device)) return { bytes: freemem(), source: 'free-ram' };
      if (/nvidia/i.test(report.device)) return nvidiaSmiTotal();
      if (/amd|radeon/i.test(report.device)) return amdVramTotal();
      if (platform() === 'darwin') return { bytes: totalmem(), source: 'unified-memory' };
      return null;
  }
}

/** The first GPU's total memory as nvidia-smi reports it; null without nvidia-smi. */
function nvidiaSmiTotal(): Promise<DeviceMemory | null> {
  return new Promise((done) => {
    execFile('nvidia-smi', ['--query-gpu=memory.total', '--format=csv,noheader,nounits'], { timeout: 3000 }, (err, stdout) => {
      const mib = Number((stdout ?? '').split('\n')[0]!.trim());
      done(err || !(mib > 0) ? null : { bytes: mib * 2 ** 20, source: 'nvidia-smi' });
    });
  });
}

/** The largest VRAM among the DRM cards' mem_info_vram_total (amdgpu); null when none is readable. */
async function amdVramTotal(): Promise<DeviceMemory | null> {
  const cards = await readdir('/sys/class/drm').catch(() => [] as string[]);
  const sizes = await Promise.all(
    cards.filter((c) => /^card\d+$/.test(c)).map((c) => readFile(join('/sys/class/drm', c, 'device', 'mem_info_vram_total'), 'utf8').then(Number, () => 0)),
  );
  const bytes = Math.max(0, ...sizes);
  return bytes > 0 ? { bytes, source: 'amd-sysfs' } : null;
}
