/**
 * A frozen matrix [rows, cols] (a base weight, never trained) as it sits on the device: float32 values, or packed
 * as the checkpoint stores it and widened to float32 inside the kernels that read it (gemm-webgpu.ts, the
 * embedding lookup in frozen-rows.ts), tile by tile:
 *   'bf16' / 'fp16': two values to a 32-bit word, the file's bytes unchanged (element 2i in the low half);
 *   'nf4': bitsandbytes' 4-bit codes, eight to a word as the file's bytes (element 2i in the high nibble of its
 *          byte), with one scale per block of 64 elements: the scales' own 8-bit codes, the second-level absmax
 *          per 256 of them, the second-level map and offset (double quantization), or plain float32 scales; all
 *          of them in one table, so a kernel binds two buffers for the matrix (WebGPU guarantees 8 a program).
 * Only webgpu holds packed matrices: the other backends compute in float32 from plain tensors, and loading
 * widens for them (model/frozen-weights.ts). A matrix larger than one storage binding may hold is kept as row
 * blocks, each bound on its own, so that no tensor exceeds the device's maxStorageBufferBindingSize.
 */
import * as tf from '../backend/tf';
import { onWebgpu, webgpuBackend } from './webgpu-kernel';

export type PackedFormat = 'bf16' | 'fp16' | 'nf4';
export type FrozenFormat = 'float32' | PackedFormat;

/** NF4 block scales as a checkpoint holds them (the shape of quant/nf4.ts's Nf4Absmax, which ops may not import). */
export type Nf4ScaleData =
  | { readonly kind: 'nested'; readonly codes: Uint8Array; readonly nestedAbsmax: Float32Array; readonly nestedMap: Float32Array; readonly offset: number }
  | { readonly kind: 'plain'; readonly values: Float32Array };

/** An NF4 matrix as a checkpoint holds it (the shape of quant/nf4.ts's Nf4Weight). */
export interface Nf4Data {
  readonly shape: readonly [number, number];
  readonly codes: Uint8Array;
  readonly absmax: Nf4ScaleData;
}

/** Elements per NF4 scale, and scales per second-level absmax. */
const NF4_BLOCK = 64;
const NESTED_BLOCK = 256;
/** Kernels index elements with i32: a block's, and an NF4 matrix's (to find an element's scale). */
const MAX_ELEMENTS = 2 ** 31 - 1;

/**
 * An NF4 matrix's tables on the device, shared by its row blocks: one int32 tensor holding, as words, the 16 code
 * values (float32 bits) at NF4_TABLE.codeValues, then for nested scales the second-level map (256 float32) at
 * NF4_TABLE.nestedMap, the second-level absmax (float32) at NF4_TABLE.nestedAbsmax and the scales' 8-bit codes, four
 * to a word, at `codesAt`; for plain scales, the scales (float32) at NF4_TABLE.absmax.
 */
export interface Nf4Tables {
  readonly kind: 'nested' | 'plain';
  readonly tables: tf.Tensor1D;
  readonly codesAt: number;
  /** The double quantization's offset, added to every scale (0 for plain scales). */
  readonly offset: number;
}

export const NF4_TABLE = { codeValues: 0, nestedMap: 16, nestedAbsmax: 16 + 256, absmax: 16 } as const;

/** Rows firstRow .. firstRow + rows − 1: float32 [rows, cols], or packed words (int32). */
export interface FrozenBlock {
  readonly firstRow: number;
  readonly rows: number;
  readonly data: tf.Tensor;
}

export interface FrozenMatrixOptions {
  /** On webgpu, the most bytes one block may take: the device's binding limit by default (lowered by tests to force a split). */
  readonly maxBlockBytes?: number;
}

/** Bytes of one row in each format (an NF4 row of odd length shares a byte with the next). */
const rowBytes = (format: FrozenFormat, cols: number): number => (format === 'float32' ? 4 * cols : format === 'nf4' ? cols / 2 : 2 * cols);

/** The most bytes one binding may hold on this webgpu device. */
function bindingLimitBytes(): number {
  const { maxStorageBufferBindingSize, maxBufferSize } = webgpuBackend().device.limits;
  return Math.min(maxStorageBufferBindingSize, maxBufferSize);
}

export class FrozenMatrix {
  private constructor(
    readonly rows: number,
    readonly cols: number,
    readonly format: FrozenFormat,
    readonly blocks: readonly FrozenBlock[],
    readonly nf4: Nf4Tables | null,
  ) {}

  /** A float32 matrix that is already one tensor; the matrix owns it from now on. */
  static fromTensor(values: tf.Tensor2D): FrozenMatrix {
    const [rows, cols] = values.shape;
    return new FrozenMatrix(rows, cols, 'float32', [{ firstRow: 0, rows, data: values }], null);
  }

  /** float32 values, row-major, in row blocks where one binding cannot hold them. */
  static fromFloat32(values: Float32Array, [rows, cols]: readonly [number, number], options: FrozenMatrixOptions = {}): FrozenMatrix {
    checkLength(values.length, rows * cols, 'values');
    const blocks = rowBlocks('float32', rows, cols, options).map(({ firstRow, rows: n }) => ({
      firstRow,
      rows: n,
      data: tf.tensor2d(values.subarray(firstRow * cols, (firstRow + n) * cols), [n, cols], 'float32'),
    }));
    return new FrozenMatrix(rows, cols, 'float32', blocks, null);
  }

  /** bf16 or fp16 values as stored (2 bytes each, little-endian), kept packed: on webgpu only. */
  static fromPacked16(bytes: Uint8Array, format: 'bf16' | 'fp16', [rows, cols]: readonly [number, number], options: FrozenMatrixOptions = {}): FrozenMatrix {
    checkWebgpu(format);
    checkLength(bytes.byteLength, 2 * rows * cols, 'bytes');
    return new FrozenMatrix(rows, cols, format, packedBlocks(bytes, format, rows, cols, options), null);
  }

  /** An NF4 matrix as stored, kept packed: on webgpu only. `codeValues`: the 16 values of the 4-bit codes. */
  static fromNf4(w: Nf4Data, codeValues: Float32Array, options: FrozenMatrixOptions = {}): FrozenMatrix {
    checkWebgpu('nf4');
    const [rows, cols] = w.shape;
    if (rows * cols > MAX_ELEMENTS) throw new RangeError(`frozen matrix: an NF4 matrix [${rows}, ${cols}] has more than 2^31 elements`);
    checkLength(w.codes.byteLength, Math.ceil((rows * cols) / 2), 'codes');
    checkLength(codeValues.length, 16, 'code values');
    const scales = Math.ceil((rows * cols) / NF4_BLOCK);
    const a = w.absmax;
    let parts: Array<Float32Array | Int32Array>;
    if (a.kind === 'nested') {
      checkLength(a.codes.length, scales, 'scale codes');
      checkLength(a.nestedAbsmax.length, Math.ceil(scales / NESTED_BLOCK), 'nested absmax');
      checkLength(a.nestedMap.length, 256, 'nested map');
      parts = [codeValues, a.nestedMap, a.nestedAbsmax, words(a.codes)];
    } else {
      checkLength(a.values.length, scales, 'absmax');
      parts = [codeValues, a.values];
    }
    const table = new Int32Array(parts.reduce((sum, p) => sum + p.length, 0));
    let at = 0;
    for (const p of parts) {
      table.set(new Int32Array(p.buffer, p.byteOffset, p.length), at);
      at += p.length;
    }
    const tables: Nf4Tables = {
      kind: a.kind,
      tables: tf.tensor1d(table, 'int32'),
      codesAt: a.kind === 'nested' ? NF4_TABLE.nestedAbsmax + a.nestedAbsmax.length : 0,
      offset: a.kind === 'nested' ? Math.fround(a.offset) : 0,
    };
    return new FrozenMatrix(rows, cols, 'nf4', packedBlocks(w.codes, 'nf4', rows, cols, options), tables);
  }

  get shape(): [number, number] {
    return [this.rows, this.cols];
  }

  /** Whether the matrix is one plain float32 tensor (always so off webgpu). */
  get isPlain(): boolean {
    return this.format === 'float32' && this.blocks.length === 1;
  }

  /** The matrix as one float32 tensor, where it is one (isPlain). */
  tensor(): tf.Tensor2D {
    if (!this.isPlain) throw new Error(`a ${this.format} matrix [${this.shape}] in ${this.blocks.length} block(s) is not one float32 tensor`);
    return this.blocks[0]!.data as tf.Tensor2D;
  }

  /** Bytes it holds on the device: its blocks and, for NF4, its scale tables. */
  get bytes(): number {
    return [...this.blocks.map((b) => b.data), ...(this.nf4 ? [this.nf4.tables] : [])].reduce((sum, t) => sum + t.size * 4, 0);
  }

  dispose(): void {
    tf.dispose([...this.blocks.map((b) => b.data), ...(this.nf4 ? [this.nf4.tables] : [])]);
  }
}

/** Device bytes a [rows, cols] matrix takes in a format (NF4: double-quantized scales), as loading plans memory. */
export function frozenBytes(format: FrozenFormat, rows: number, cols: number): number {
  const n = rows * cols;
  if (format === 'float32') return 4 * n;
  if (format !== 'nf4') return 4 * Math.ceil(n / 2);
  const scales = Math.ceil(n / NF4_BLOCK);
  return 4 * Math.ceil(n / 8) + 4 * (NF4_TABLE.nestedAbsmax + Math.ceil(scales / NESTED_BLOCK) + Math.ceil(scales / 4));
}

/** Only webgpu's kernels read packed matrices. */
function checkWebgpu(format: PackedFormat): void {
  if (!onWebgpu()) throw new Error(`a ${format} frozen matrix is read by webgpu kernels only: on ${tf.getBackend()} widen it to float32 when loading`);
}

function checkLength(actual: number, expected: number, what: string): void {
  if (actual !== expected) throw new RangeError(`frozen matrix: ${actual} ${what} given, ${expected} expected`);
}

/** Rows a block holds a multiple of, so that each block starts on a whole word: 1, or 2 or 8 for odd rows of 16 or 4 bits. */
function rowAlign(format: FrozenFormat, cols: number): number {
  const perWord = format === 'float32' ? 1 : format === 'nf4' ? 8 : 2;
  let gcd = perWord;
  for (let c = cols % perWord; c !== 0; [gcd, c] = [c, gcd % c]);
  return perWord / gcd;
}

/**
 * The row blocks a matrix is kept in: one, or on webgpu as many as the binding limit needs (other backends have
 * no bindings, and take one tensor).
 */
function rowBlocks(format: FrozenFormat, rows: number, cols: number, options: FrozenMatrixOptions): Array<{ firstRow: number; rows: number }> {
  if (!onWebgpu()) return [{ firstRow: 0, rows }];
  const maxBlockBytes = options.maxBlockBytes ?? bindingLimitBytes();
  const perRow = rowBytes(format, cols);
  const fits = (n: number) => Math.ceil((n * perRow) / 4) * 4 <= maxBlockBytes && n * cols <= MAX_ELEMENTS;
  if (fits(rows)) return [{ firstRow: 0, rows }];
  const align = rowAlign(format, cols);
  const step = Math.floor(Math.min(maxBlockBytes / perRow, MAX_ELEMENTS / cols) / align) * align;
  if (step === 0) throw new RangeError(`frozen matrix: ${align} row(s) of ${cols} ${format} values exceed ${maxBlockBytes} bytes, the most one binding may hold`);
  return Array.from({ length: Math.ceil(rows / step) }, (_, i) => ({ firstRow: i * step, rows: Math.min(step, rows - i * step) }));
}

/** Packed bytes cut into row blocks, each an int32 tensor of its words (the last word zero-padded). */
function packedBlocks(bytes: Uint8Array, format: PackedFormat, rows: number, cols: number, options: FrozenMatrixOptions): FrozenBlock[] {
  const perRow = rowBytes(format, cols);
  return rowBlocks(format, rows, cols, options).map(({ firstRow, rows: n }) => {
    const begin = firstRow * perRow; // whole words: firstRow is a multiple of rowAlign
    const end = Math.min(bytes.byteLength, Math.ceil((firstRow + n) * perRow));
    return { firstRow, rows: n, data: tf.tensor1d(words(bytes.subarray(begin, end)), 'int32') };
  });
}

/** Bytes as little-endian 32-bit words, the last one zero-padded. */
function words(bytes: Uint8Array): Int32Array {
  const padded = new Uint8Array(Math.ceil(bytes.byteLength / 4) * 4);
  padded.set(bytes);
  return new Int32Array(padded.buffer);
}
