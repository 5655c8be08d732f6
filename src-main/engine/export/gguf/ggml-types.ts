/**
 * The ggml tensor types a GGUF export writes, with ggml's numbering (ggml.h `enum ggml_type`) and block layout:
 * a row of `blockSize` values is stored as `bytesPerBlock` bytes.
 */
export const GGML_TYPES = {
  F32: { id: 0, blockSize: 1, bytesPerBlock: 4 },
  F16: { id: 1, blockSize: 1, bytesPerBlock: 2 },
  Q5_0: { id: 6, blockSize: 32, bytesPerBlock: 22 },
  Q8_0: { id: 8, blockSize: 32, bytesPerBlock: 34 },
  Q4_K: { id: 12, blockSize: 256, bytesPerBlock: 144 },
  Q6_K: { id: 14, blockSize: 256, bytesPerBlock: 210 },
  BF16: { id: 30, blockSize: 1, bytesPerBlock: 2 },
} as const;

export type GgmlType = keyof typeof GGML_TYPES;

/** Bytes of a tensor of `count` values, `count` a multiple of the type's block size. */
export function tensorBytes(type: GgmlType, count: number): number {
  const { blockSize, bytesPerBlock } = GGML_TYPES[type];
  return (count / blockSize) * bytesPerBlock;
}
