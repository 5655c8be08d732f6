/**
 * Which ggml type each tensor gets. f32/f16/bf16 follow convert_hf_to_gguf (1-D tensors and norms stay F32);
 * q8_0 and q4_k_m follow llama-quantize (src/llama-quant.cpp, no importance matrix, no overrides) run on a
 * float32 GGUF, including its fallbacks for rows whose length is not a multiple of the block size.
 */
import { UserError } from '../../errors';
import type { GgufType } from '../../../protocol/engine-types';
import { GGML_TYPES, type GgmlType } from './ggml-types';

/** general.file_type: llama.h's `enum llama_ftype`. */
export const FILE_TYPE: Record<GgufType, number> = { f32: 0, f16: 1, q8_0: 7, q4_k_m: 15, bf16: 32 };

export interface TensorToType {
  /** GGUF name. */
  readonly name: string;
  /** Row-major shape; the last dimension is ggml's row length. */
  readonly shape: readonly number[];
}

export interface ModelFacts {
  readonly numLayers: number;
  /** llama.cpp calls the model LLM_TYPE_70B (80 layers and grouped KV heads), which changes attn_v under q4_k_m. */
  readonly is70B: boolean;
}

/**
 * The type of each tensor, in the order given. For q8_0 and q4_k_m the order must be llama-quantize's
 * (block number, then name): its layer counters for attn_v and ffn_down advance in that order.
 */
export function chooseTensorTypes(tensors: readonly TensorToType[], type: GgufType, model: ModelFacts): GgmlType[] {
  if (type === 'f32' || type === 'f16' || type === 'bf16') {
    const wide: GgmlType = type === 'f32' ? 'F32' : type === 'f16' ? 'F16' : 'BF16';
    return tensors.map((t) => (keepsF32(t) ? 'F32' : wide));
  }
  const tied = !tensors.some((t) => t.name === 'output.weight');
  const attnV = { index: 0, count: tensors.filter((t) => t.name.endsWith('attn_v.weight')).length };
  let ffnDownIndex = 0;
  return tensors.map((t) => {
    if (keepsF32(t) || !t.name.endsWith('weight')) return 'F32';
    const ncols = t.shape[t.shape.length - 1]!;
    let chosen: GgmlType = type === 'q8_0' ? 'Q8_0' : 'Q4_K';
    if (t.name === 'output.weight' || (tied && t.name === 'token_embd.weight')) {
      // The output projection (or the embedding that doubles as it) gets more bits.
      if (ncols % GGML_TYPES[chosen].blockSize !== 0) chosen = 'Q8_0';
      else if (chosen !== 'Q8_0') chosen = 'Q6_K';
    } else if (t.name.endsWith('attn_v.weight')) {
      if (type === 'q4_k_m' && useMoreBits(attnV.index, attnV.count)) chosen = 'Q6_K';
      if (model.is70B && chosen === 'Q4_K') {
        throw new UserError(`q4_k_m gives ${t.name} of this 80-layer model the type Q5_K, which TuneBoard's GGUF export does not write`, 'Export as q8_0, or quantize an f16 export with llama.cpp\'s llama-quantize.');
      }
      attnV.index++;
    } else if (t.name.endsWith('ffn_down.weight')) {
      if (type === 'q4_k_m' && useMoreBits(ffnDownIndex, model.numLayers)) chosen = 'Q6_K';
      ffnDownIndex++;
    }
    return fallback(chosen, ncols);
  });
}

/** convert_hf_to_gguf keeps 1-D tensors and norms in F32, and llama-quantize never quantizes them. */
function keepsF32(t: TensorToType): boolean {
  return t.shape.length <= 1 || t.name.endsWith('_norm.weight');
}

/** llama-quant.cpp's use_more_bits: the first and last eighth of the layers, and every third one between. */
function useMoreBits(i: number, n: number): boolean {
  const eighth = Math.trunc(n / 8);
  return i < eighth || i >= Math.trunc((7 * n) / 8) || (i - eighth) % 3 === 2;
}

/** llama-quant.cpp's tensor_type_fallback: a row that does not fill whole blocks takes a 32-block type, else F16. */
function fallback(type: GgmlType, ncols: number): GgmlType {
  if (ncols % GGML_TYPES[type].blockSize === 0) return type;
  const smaller: GgmlType = type === 'Q4_K' ? 'Q5_0' : type === 'Q6_K' ? 'Q8_0' : type;
  return ncols % GGML_TYPES[smaller].blockSize === 0 ? smaller : 'F16';
}
