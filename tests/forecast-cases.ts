/**
 * The cheap configurations of the README's forecast table that the tests run (the demo shape, Qwen2.5-0.5B cut to
 * 1-2 layers; 32/16/4-bit; with and without gradient checkpointing; several batch sizes), as `bench` options.
 */
import type { BenchOptions } from '../src-main/engine/bench/benchmark';
import type { BackendName } from '../src-main/protocol/engine-types';

export interface ForecastCase {
  readonly name: string;
  readonly bench: Pick<BenchOptions, 'model' | 'batch' | 'seq' | 'gradientCheckpointing' | 'storage'>;
}

const demo = { kind: 'shape', name: 'demo', cut: { layers: null, vocab: null } } as const;
const qwen = (layers: number) => ({ kind: 'shape', name: 'qwen2.5-0.5b', cut: { layers, vocab: 8192 } }) as const;

const CASES: ReadonlyArray<ForecastCase & { readonly on: readonly BackendName[] }> = [
  { name: 'demo, 2 x 128', on: ['wasm', 'webgpu'], bench: { model: demo, batch: 2, seq: 128, gradientCheckpointing: false, storage: 'float32' } },
  { name: 'demo, 4 x 256, gradient checkpointing', on: ['wasm', 'webgpu'], bench: { model: demo, batch: 4, seq: 256, gradientCheckpointing: true, storage: 'float32' } },
  { name: 'Qwen2.5-0.5B 1 layer vocab 8192, 2 x 64, 16-bit', on: ['webgpu'], bench: { model: qwen(1), batch: 2, seq: 64, gradientCheckpointing: false, storage: '16-bit' } },
  { name: 'Qwen2.5-0.5B 2 layers vocab 8192, 2 x 128, 4-bit, gradient checkpointing', on: ['wasm', 'webgpu'], bench: { model: qwen(2), batch: 2, seq: 128, gradientCheckpointing: true, storage: 'nf4' } },
  { name: 'Qwen2.5-0.5B 1 layer vocab 8192, 1 x 256', on: ['wasm'], bench: { model: qwen(1), batch: 1, seq: 256, gradientCheckpointing: false, storage: 'float32' } },
];

export function forecastCases(backend: BackendName): ForecastCase[] {
  return CASES.filter((c) => c.on.includes(backend));
}
