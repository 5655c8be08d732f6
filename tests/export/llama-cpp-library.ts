/**
 * llama.cpp's own quantizers, called in the shared library node-llama-cpp ships (libggml-base), through the
 * koffi FFI: the reference our ports must equal byte for byte.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import koffi from 'koffi';

const bins = join(__dirname, '../../node_modules/@node-llama-cpp', `${process.platform === 'darwin' ? 'mac' : process.platform === 'win32' ? 'win' : 'linux'}-${process.arch}`, 'bins');

/** The path of libggml-base in node-llama-cpp's prebuilt CPU binaries for this platform, or null. */
function libggmlBase(): string | null {
  if (!existsSync(bins)) return null;
  for (const dir of readdirSync(bins)) {
    const file = readdirSync(join(bins, dir)).find((f) => /^(lib)?ggml-base\.(so|dylib|dll)$/.test(f));
    if (file) return join(bins, dir, file);
  }
  return null;
}

export interface GgmlReference {
  /** ggml_quantize_chunk without an importance matrix: what llama-quantize calls for each tensor. */
  quantize(typeId: number, values: Float32Array, rows: number, rowLength: number, outBytes: number): Uint8Array;
  /** ggml's dequantize_row_<type> by name, e.g. "q4_K". */
  dequantize(typeName: string, bytes: Uint8Array, count: number): Float32Array;
}

export function ggmlReference(): GgmlReference {
  const path = libggmlBase();
  if (!path) throw new Error(`node-llama-cpp's prebuilt binaries for ${process.platform}-${process.arch} are not installed under ${bins}`);
  const lib = koffi.load(path);
  const quantizeChunk = lib.func('size_t ggml_quantize_chunk(int type, const float *src, _Out_ uint8_t *dst, int64_t start, int64_t nrows, int64_t n_per_row, const float *imatrix)');
  const dequantizers = new Map<string, (x: Uint8Array, y: Float32Array, k: number) => void>();
  return {
    quantize(typeId, values, rows, rowLength, outBytes) {
      const out = new Uint8Array(outBytes);
      quantizeChunk(typeId, values, out, 0, rows, rowLength, null);
      return out;
    },
    dequantize(typeName, bytes, count) {
      let fn = dequantizers.get(typeName);
      if (!fn) {
        fn = lib.func(`void dequantize_row_${typeName}(const uint8_t *x, _Out_ float *y, int64_t k)`) as (x: Uint8Array, y: Float32Array, k: number) => void;
        dequantizers.set(typeName, fn);
      }
      const out = new Float32Array(count);
      fn(bytes, out, count);
      return out;
    },
  };
}
