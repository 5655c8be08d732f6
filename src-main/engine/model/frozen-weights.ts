/**
 * Frozen matrices (ops/frozen-matrix.ts) from 16-bit values as stored and from NF4 weights (float32 values need
 * nothing more than FrozenMatrix.fromFloat32). Kept packed on webgpu, whose kernels widen them; the other backends compute in float32 only, so
 * for them the matrix is widened here, exactly as decode() (formats/dtype.ts) and dequantizeNf4 (quant/nf4.ts)
 * do: the same float32 numbers the webgpu kernels compute with.
 */
import { decode } from '../formats/dtype';
import { FrozenMatrix, type FrozenMatrixOptions } from '../ops/frozen-matrix';
import { onWebgpu } from '../ops/webgpu-kernel';
import { dequantizeNf4, NF4_CODE_VALUES, type Nf4Weight } from '../quant/nf4';

/** bf16 or fp16 values, 2 bytes each as stored in safetensors. */
export function frozenFrom16Bit(bytes: Uint8Array, dtype: 'BF16' | 'F16', shape: readonly [number, number], options: FrozenMatrixOptions = {}): FrozenMatrix {
  if (!onWebgpu()) return FrozenMatrix.fromFloat32(decode(dtype, bytes) as Float32Array, shape, options);
  return FrozenMatrix.fromPacked16(bytes, dtype === 'BF16' ? 'bf16' : 'fp16', shape, options);
}

export function frozenFromNf4(w: Nf4Weight, options: FrozenMatrixOptions = {}): FrozenMatrix {
  if (!onWebgpu()) return FrozenMatrix.fromFloat32(dequantizeNf4(w), w.shape, options);
  return FrozenMatrix.fromNf4(w, NF4_CODE_VALUES, options);
}
