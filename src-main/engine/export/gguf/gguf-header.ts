/**
 * The GGUF v3 header: magic, version, counts, key/value metadata and tensor infos, padded to the data
 * alignment (https://github.com/ggml-org/ggml/blob/master/docs/gguf.md). Little-endian throughout.
 */
import { GGML_TYPES, type GgmlType } from './ggml-types';

const GGUF_ALIGNMENT = 32;

/** A metadata value with the GGUF type convert_hf_to_gguf gives it. */
export type GgufValue =
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'u32'; readonly value: number }
  | { readonly type: 'i32'; readonly value: number }
  | { readonly type: 'f32'; readonly value: number }
  | { readonly type: 'bool'; readonly value: boolean }
  | { readonly type: 'string[]'; readonly value: readonly string[] }
  | { readonly type: 'i32[]'; readonly value: readonly number[] }
  | { readonly type: 'f32[]'; readonly value: readonly number[] };

export type GgufMetadata = ReadonlyArray<readonly [key: string, value: GgufValue]>;

export interface GgufTensorInfo {
  readonly name: string;
  /** Row-major shape as in PyTorch; GGUF stores it reversed (ggml's ne[0] is the row length). */
  readonly shape: readonly number[];
  readonly type: GgmlType;
  /** Byte offset inside the data section, a multiple of the alignment. */
  readonly offset: number;
}

/** gguf_type numbers (ggml/include/gguf.h). */
const VALUE_TYPE = { u32: 4, i32: 5, f32: 6, bool: 7, string: 8, array: 9 } as const;

export const alignUp = (n: number, alignment = GGUF_ALIGNMENT) => Math.ceil(n / alignment) * alignment;

/** The header bytes, zero-padded so that the tensor data starts at an aligned offset. */
export function encodeGgufHeader(metadata: GgufMetadata, tensors: readonly GgufTensorInfo[]): Uint8Array {
  const w = new ByteWriter();
  w.bytes(new TextEncoder().encode('GGUF'));
  w.u32(3);
  w.u64(tensors.length);
  w.u64(metadata.length);
  for (const [key, value] of metadata) {
    w.string(key);
    writeValue(w, value);
  }
  for (const t of tensors) {
    w.string(t.name);
    w.u32(t.shape.length);
    for (let i = t.shape.length - 1; i >= 0; i--) w.u64(t.shape[i]!);
    w.u32(GGML_TYPES[t.type].id);
    w.u64(t.offset);
  }
  w.zeros(alignUp(w.length) - w.length);
  return w.finish();
}

function writeValue(w: ByteWriter, v: GgufValue): void {
  switch (v.type) {
    case 'string':
      w.u32(VALUE_TYPE.string);
      return w.string(v.value);
    case 'u32':
      w.u32(VALUE_TYPE.u32);
      return w.u32(v.value);
    case 'i32':
      w.u32(VALUE_TYPE.i32);
      return w.i32(v.value);
    case 'f32':
      w.u32(VALUE_TYPE.f32);
      return w.f32(v.value);
    case 'bool':
      w.u32(VALUE_TYPE.bool);
      return w.u8(v.value ? 1 : 0);
    case 'string[]':
      w.u32(VALUE_TYPE.array);
      w.u32(VALUE_TYPE.string);
      w.u64(v.value.length);
      for (const s of v.value) w.string(s);
      return;
    case 'i32[]':
      w.u32(VALUE_TYPE.array);
      w.u32(VALUE_TYPE.i32);
      w.u64(v.value.length);
      for (const x of v.value) w.i32(x);
      return;
    case 'f32[]':
      w.u32(VALUE_TYPE.array);
      w.u32(VALUE_TYPE.f32);
      w.u64(v.value.length);
      for (const x of v.value) w.f32(x);
      return;
  }
}

/** An append-only little-endian buffer that grows by doubling (a header holds every token string). */
class ByteWriter {
  private buf = new Uint8Array(1 << 16);
  private view = new DataView(this.buf.buffer);
  private readonly encoder = new TextEncoder();
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(x: number): void {
    this.reserve(1);
    this.view.setUint8(this.length, x);
    this.length += 1;
  }
  u32(x: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, x, true);
    this.length += 4;
  }
  i32(x: number): void {
    this.reserve(4);
    this.view.setInt32(this.length, x, true);
    this.length += 4;
  }
  f32(x: number): void {
    this.reserve(4);
    this.view.setFloat32(this.length, x, true);
    this.length += 4;
  }
  u64(x: number): void {
    this.reserve(8);
    this.view.setBigUint64(this.length, BigInt(x), true);
    this.length += 8;
  }
  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  string(s: string): void {
    const b = this.encoder.encode(s);
    this.u64(b.length);
    this.bytes(b);
  }
  zeros(n: number): void {
    this.reserve(n);
    this.buf.fill(0, this.length, this.length + n);
    this.length += n;
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}
