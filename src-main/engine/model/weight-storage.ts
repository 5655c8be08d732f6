/**
 * How each base weight is kept on the device, decided from the layout, the file's dtypes, the storage asked for
 * and the backend: loading follows it, and the memory forecast counts its bytes, so the two cannot disagree.
 *   'auto':    '16-bit' on webgpu, 'float32' elsewhere;
 *   'float32': every weight widened to float32;
 *   '16-bit':  every weight as stored (bf16 and fp16 packed, a float32 file stays float32);
 *   'nf4':     the seven projections of every layer quantized to NF4 on load as bitsandbytes does, the embeddings
 *              and LM head as with '16-bit'.
 * A bitsandbytes 4-bit folder keeps its projections as the NF4 it stores, whatever is asked. Norms and biases are
 * always float32. Only webgpu keeps 16-bit or NF4 weights packed; the other backends compute in float32, so there
 * every weight ends as float32 (NF4 ones dequantized).
 */
import { formatBytes } from '../../protocol/quantities';
import type { TensorDtype } from '../formats/dtype';
import { frozenBytes, type FrozenFormat } from '../ops/frozen-matrix';
import type { ModelLayout, ParameterSpec } from './model-layout';

export type WeightStorage = 'auto' | 'float32' | '16-bit' | 'nf4';

/** A width in bits (quantization_bit, bench's --quantization-bit) as a storage; null: as the backend prefers. */
export function storageOfBits(bits: 4 | 16 | 32 | null | undefined): WeightStorage {
  return bits === 4 ? 'nf4' : bits === 16 ? '16-bit' : bits === 32 ? 'float32' : 'auto';
}

/** Where a matrix's values come from (quantized to NF4, 16-bit bytes as stored, float32 values) and the format it is kept in. */
export interface MatrixPlan {
  readonly source: 'nf4' | '16-bit' | 'float32';
  readonly format: FrozenFormat;
}

/** How a loaded model keeps its decoder projections and its embedding (the LM head is kept as the embedding). */
export interface BaseStorage {
  readonly projections: FrozenFormat;
  readonly embedding: FrozenFormat;
}

const FORMAT_WORDS: Record<FrozenFormat, string> = { float32: 'float32', bf16: 'bf16', fp16: 'fp16', nf4: '4-bit NF4' };

/** "base model weights: projections 4-bit NF4 (840 KB), embedding bf16, 2.45 MB in all", for the training log. */
export function describeBase(storage: BaseStorage, bytes: StoragePlan['bytes']): string {
  return `base model weights: projections ${FORMAT_WORDS[storage.projections]} (${formatBytes(bytes.projections)}), embedding ${FORMAT_WORDS[storage.embedding]}, ${formatBytes(bytes.total)} in all`;
}

export interface StoragePlan {
  /** The frozen matrices (embedding, projections, LM head) by weight name, each with its plan. */
  readonly matrices: ReadonlyMap<string, MatrixPlan>;
  /** Device bytes of every weight as kept: all of them, and the decoder's seven projections. */
  readonly bytes: { readonly total: number; readonly projections: number };
}

export interface StorageChoice {
  readonly storage: WeightStorage;
  /** The folder stores its projections quantized (bitsandbytes 4-bit). */
  readonly prequantized: boolean;
  readonly webgpu: boolean;
  /** The stored dtype of a weight. */
  dtypeOf(name: string): TensorDtype;
}

const elements = (p: ParameterSpec) => p.shape.reduce((x, y) => x * y, 1);

export function storagePlan(layout: ModelLayout, c: StorageChoice): StoragePlan {
  const projections = new Set(layout.linears.map((l) => l.weight.name));
  const kept = c.storage === 'auto' ? (c.webgpu ? '16-bit' : 'float32') : c.storage;
  const plan = (name: string): MatrixPlan => {
    if (projections.has(name) && (c.prequantized || kept === 'nf4')) return { source: 'nf4', format: c.webgpu ? 'nf4' : 'float32' };
    const dtype = c.dtypeOf(name);
    if (kept === 'float32' || (dtype !== 'BF16' && dtype !== 'F16')) return { source: 'float32', format: 'float32' };
    return { source: '16-bit', format: c.webgpu ? (dtype === 'BF16' ? 'bf16' : 'fp16') : 'float32' };
  };
  const matrixSpecs = [layout.embedding, ...layout.linears.map((l) => l.weight), ...(layout.lmHead ? [layout.lmHead.weight] : [])];
  const matrices = new Map(matrixSpecs.map((p) => [p.name, plan(p.name)]));
  const bytesOf = (p: ParameterSpec) => {
    const m = matrices.get(p.name);
    return m ? frozenBytes(m.format, p.shape[0]!, p.shape[1]!) : 4 * elements(p);
  };
  return {
    matrices,
    bytes: {
      total: layout.parameters.reduce((sum, p) => sum + bytesOf(p), 0),
      projections: layout.linears.reduce((sum, l) => sum + bytesOf(l.weight), 0),
    },
  };
}
