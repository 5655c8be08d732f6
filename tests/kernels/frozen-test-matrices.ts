/**
 * Frozen matrices for the kernel tests in every storage a model loads them in, each with its reference: the
 * float32 matrix it stands for, widened on the CPU by the format's own code (decode for 16-bit, dequantizeNf4 for
 * NF4). The matrices are made by the loader's factories, so they are packed on webgpu and plain float32 on wasm.
 */
import * as tf from '../../src-main/engine/backend/tf';
import { decode, encode } from '../../src-main/engine/formats/dtype';
import { frozenFrom16Bit, frozenFromNf4 } from '../../src-main/engine/model/frozen-weights';
import { FrozenMatrix } from '../../src-main/engine/ops/frozen-matrix';
import { dequantizeNf4, quantizeNf4 } from '../../src-main/engine/quant/nf4';
import { seededRandom } from '../../src-main/engine/seeded-random';

export const STORAGES = ['float32', 'bf16', 'fp16', 'nf4', 'nf4 plain'] as const;
export type Storage = (typeof STORAGES)[number];

/** Normal-ish values of std `scale`, with a few exact zeros and, for fp16, values below its smallest normal (6.1e-5). */
export function randomValues(count: number, seed: number, scale = 1): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length: count }, (_, i) => (i % 97 === 5 ? 0 : i % 89 === 7 ? 3e-6 * (random() - 0.5) : (random() + random() + random() - 1.5) * 2 * scale));
}

/** Bytes of one row of `cols` values in a storage. */
const rowBytes = (storage: Storage, cols: number) => (storage === 'float32' ? 4 : storage.startsWith('nf4') ? 0.5 : 2) * cols;

/** `values` ([rows, cols], row-major) kept in `storage`, in row blocks of `blockRows` where given, and the float32 matrix it stands for. */
export function frozenTestMatrix(values: Float32Array, shape: [number, number], storage: Storage, blockRows?: number): { matrix: FrozenMatrix; reference: tf.Tensor2D } {
  const options = { maxBlockBytes: blockRows && blockRows * rowBytes(storage, shape[1]) };
  if (storage === 'float32') return { matrix: FrozenMatrix.fromFloat32(values, shape, options), reference: tf.tensor2d(values, shape) };
  if (storage === 'bf16' || storage === 'fp16') {
    const dtype = storage === 'bf16' ? 'BF16' : 'F16';
    const bytes = encode(dtype, values);
    return { matrix: frozenFrom16Bit(bytes, dtype, shape, options), reference: tf.tensor2d(decode(dtype, bytes) as Float32Array, shape) };
  }
  const w = quantizeNf4(values, shape, storage === 'nf4');
  return { matrix: frozenFromNf4(w, options), reference: tf.tensor2d(dequantizeNf4(w), shape) };
}
