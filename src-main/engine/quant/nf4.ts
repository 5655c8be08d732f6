/**
 * 4-bit NormalFloat (NF4) weights as QLoRA stores them: bitsandbytes' blockwise quantization with double
 * quantization of the block scales, reproduced in float32 arithmetic (Math.fround at every step) so a weight
 * quantized here has the same codes as bitsandbytes gives (its pure-torch backend, `backends/default/ops.py`,
 * and `functional.quantize_4bit`). tests/fixtures/README.md ("4-bit NF4") defines the format.
 */
import { torchFloat32Sum } from './torch-float32-sum';

/** The 16 NF4 code values (bitsandbytes' `create_normal_map(0.9677083)`), index = 4-bit code. */
export const NF4_CODE_VALUES = Float32Array.of(
  -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635, -0.18477343022823334,
  -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
  0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0,
);

/** Elements per absmax block; the only block size transformers saves and our kernels take. */
export const NF4_BLOCK_SIZE = 64;
/** Absmax values per second-level block in double quantization. */
export const NESTED_BLOCK_SIZE = 256;

export type Nf4Absmax =
  | {
      readonly kind: 'nested';
      /** One 8-bit code per 64-element block, an index into `nestedMap`. */
      readonly codes: Uint8Array;
      /** The absmax of each 256-code block of (absmax - offset). */
      readonly nestedAbsmax: Float32Array;
      /** The 256 sorted values of bitsandbytes' signed dynamic map. */
      readonly nestedMap: Float32Array;
      /** The float32 mean of the block absmax values, subtracted before quantizing them. */
      readonly offset: number;
    }
  | { readonly kind: 'plain'; readonly values: Float32Array };

export interface Nf4Weight {
  /** [out, in] of the linear layer; the codes are the row-major flattening. */
  readonly shape: readonly [number, number];
  /** ceil(n/2) bytes, element 2i in the high nibble, 2i+1 in the low one (a padding 7 = code of 0.0 when n is odd). */
  readonly codes: Uint8Array;
  /** One scale per block of 64 elements; the last block is partial when n is not a multiple of 64. */
  readonly absmax: Nf4Absmax;
}

/** float32 1e-38: bitsandbytes clamps a block's absmax to at least this before dividing by it. */
const MIN_ABSMAX = Math.fround(1e-38);

/** Boundaries between neighbouring code values, computed in float32 as bitsandbytes does: `(code[:-1] + code[1:]) / 2`. */
function midpoints(sorted: Float32Array): Float32Array {
  const out = new Float32Array(sorted.length - 1);
  for (let i = 0; i < out.length; i++) out[i] = Math.fround(Math.fround(sorted[i]! + sorted[i + 1]!) / 2);
  return out;
}

const NF4_MIDPOINTS = midpoints(NF4_CODE_VALUES);

/**
 * `torch.linspace(start, end, steps, dtype=float32)` bit for bit as ATen's vectorized AVX2 CPU kernel gives it:
 * the torch that made tiny-llama-nf4 computed its nested map so (the plain scalar formula of newer torch moves
 * 42 of the 256 values by an ulp). Only quantizing depends on it; a saved checkpoint carries its own map.
 * Elements go out in pairs of 8-lane vectors while 16 remain: a vector's first lane is `start + step*idx`
 * (or `end - step*(steps-idx-1)` past halfway), one fused multiply-add, and lane l adds `l*step` to it, each
 * rounded; the tail is the scalar formula, fused. In float64 the products and sums here are exact, so one
 * Math.fround is a fused multiply-add and two are the separately rounded steps.
 */
function linspaceFloat32(start: number, end: number, steps: number): Float32Array {
  const s = Math.fround(start);
  const e = Math.fround(end);
  const step = Math.fround(Math.fround(e - s) / (steps - 1));
  const halfway = Math.floor(steps / 2);
  const fused = (i: number) => (i < halfway ? Math.fround(s + step * i) : Math.fround(e - step * (steps - i - 1)));
  const lanes = 8;
  const out = new Float32Array(steps);
  let i = 0;
  for (; i <= steps - 2 * lanes; i += 2 * lanes) {
    for (const v of [i, i + lanes]) {
      const base = fused(v);
      for (let l = 0; l < lanes; l++) out[v + l] = Math.fround(base + Math.fround(l * step));
    }
  }
  for (; i < steps; i++) out[i] = fused(i);
  return out;
}

/**
 * bitsandbytes' `create_dynamic_map(signed=True, max_exponent_bits=7, total_bits=8)`, the code of the nested
 * (second-level) quantization: for each exponent 10^-6 .. 10^0, the means of a linspace(0.1, 1) of 2^i + 1
 * points scaled by it, both signs, plus 0 and 1, sorted.
 */
export function dynamicMap8Signed(): Float32Array {
  const maxExponentBits = 7;
  const nonSignBits = 7;
  const data: number[] = [];
  // Decimal literals, not 10 ** k: Python's float pow is correctly rounded, JavaScript's need not be.
  const scales = [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1];
  for (let i = 0; i < maxExponentBits; i++) {
    const boundaries = linspaceFloat32(0.1, 1, 2 ** (i + nonSignBits - maxExponentBits) + 1);
    const scale = Math.fround(scales[i]!);
    for (let k = 0; k + 1 < boundaries.length; k++) {
      const mean = Math.fround(Math.fround(boundaries[k]! + boundaries[k + 1]!) / 2);
      data.push(Math.fround(scale * mean), Math.fround(-scale * mean));
    }
  }
  // With 7 exponent bits of 7 there are no extra linear-region items (2^0 - 1 = 0) and no gap to fill.
  data.push(0, 1);
  return Float32Array.from(data).sort();
}

/**
 * The code of a scaled value in [-1, 1]: how many midpoints lie strictly below it (`torch.bucketize`, right=False,
 * so a value on a midpoint takes the lower code). A table over 4096 equal bins of [-1, 1] gives the count below
 * each bin's start; no bin holds two midpoints (they are 0.08 apart or more), so one comparison finishes it.
 * Checked once against plain counting for every float32 in [-1, 1]; 3.5 times faster than a binary search.
 */
const BINS = 2048; // per unit of [-1, 1]: bin = floor((x + 1) * BINS)
const MIDPOINTS_ABOVE = Float64Array.from([...NF4_MIDPOINTS, Infinity]);
const CODE_AT_BIN_START = (() => {
  const table = new Uint8Array(2 * BINS + 1);
  for (let b = 0; b < table.length; b++) {
    const start = b / BINS - 1;
    let q = 0;
    while (q < NF4_MIDPOINTS.length && NF4_MIDPOINTS[q]! < start) q++;
    table[b] = q;
  }
  return table;
})();

function bucketizeNf4(x: number): number {
  const q = CODE_AT_BIN_START[Math.floor((x + 1) * BINS)]!;
  return x > MIDPOINTS_ABOVE[q]! ? q + 1 : q;
}

/**
 * Blockwise absmax quantization, bitsandbytes' `quantize_blockwise` (default backend) with a sorted 256-value
 * code: full blocks multiply by the float32 reciprocal of the clamped absmax; a partial last block divides by
 * it and stores the clamped value.
 */
function quantizeBlockwise8(values: Float32Array, code: Float32Array, blockSize: number): { codes: Uint8Array; absmax: Float32Array } {
  const bounds = midpoints(code);
  const n = values.length;
  const blocks = Math.ceil(n / blockSize);
  const codes = new Uint8Array(n);
  const absmax = new Float32Array(blocks);
  for (let b = 0; b < blocks; b++) {
    const start = b * blockSize;
    const end = Math.min(start + blockSize, n);
    let max = 0;
    for (let i = start; i < end; i++) max = Math.max(max, Math.abs(values[i]!));
    const clamped = Math.max(max, MIN_ABSMAX);
    const partial = end - start < blockSize;
    absmax[b] = partial ? clamped : max;
    const reciprocal = Math.fround(1 / clamped);
    for (let i = start; i < end; i++) {
      const s = partial ? Math.fround(values[i]! / clamped) : Math.fround(values[i]! * reciprocal);
      const x = s > 1 ? 1 : s < -1 ? -1 : s;
      let q = 0;
      for (let half = 128; half >= 1; half >>= 1) if (x > bounds[q + half - 1]!) q += half;
      codes[i] = q;
    }
  }
  return { codes, absmax };
}

/**
 * Quantizes a row-major [out, in] float32 weight to NF4 in blocks of 64, as bitsandbytes does for
 * `load_in_4bit` with `bnb_4bit_quant_type="nf4"` (and `bnb_4bit_use_double_quant` when doubleQuant).
 * When out*in is not a multiple of 64 the last block is partial and quantized as bitsandbytes does.
 * The double-quantization offset is `absmax.mean()` in float32, summed in torch's order (see torchFloat32Sum).
 */
export function quantizeNf4(values: Float32Array, shape: readonly [number, number], doubleQuant = true): Nf4Weight {
  const n = shape[0] * shape[1];
  if (values.length !== n) throw new RangeError(`quantizeNf4: ${values.length} values given for shape [${shape.join(', ')}]`);
  const blocks = Math.ceil(n / NF4_BLOCK_SIZE);
  const codes = new Uint8Array(Math.ceil(n / 2));
  const absmax = new Float32Array(blocks);
  const full = Math.floor(n / NF4_BLOCK_SIZE);
  for (let b = 0; b < full; b++) {
    const start = b * NF4_BLOCK_SIZE;
    const end = start + NF4_BLOCK_SIZE;
    let max = 0;
    for (let i = start; i < end; i++) {
      const a = Math.abs(values[i]!);
      if (a > max) max = a;
    }
    absmax[b] = max;
    const reciprocal = Math.fround(1 / (max > MIN_ABSMAX ? max : MIN_ABSMAX));
    for (let i = start; i < end; i += 2) {
      const hi = Math.fround(values[i]! * reciprocal);
      const lo = Math.fround(values[i + 1]! * reciprocal);
      codes[i >> 1] = (bucketizeNf4(hi > 1 ? 1 : hi < -1 ? -1 : hi) << 4) | bucketizeNf4(lo > 1 ? 1 : lo < -1 ? -1 : lo);
    }
  }
  if (full < blocks) quantizePartialBlock(values, full * NF4_BLOCK_SIZE, codes, absmax);
  if (!doubleQuant) return { shape: [shape[0], shape[1]], codes, absmax: { kind: 'plain', values: absmax } };
  return { shape: [shape[0], shape[1]], codes, absmax: quantizeAbsmax(absmax) };
}

/**
 * bitsandbytes' last, partial block: the absmax is clamped before it is stored, the values are divided by it
 * (not multiplied by its reciprocal), and an odd count is padded with a scaled 0.0 in the last low nibble.
 */
function quantizePartialBlock(values: Float32Array, start: number, codes: Uint8Array, absmax: Float32Array): void {
  let max = 0;
  for (let i = start; i < values.length; i++) max = Math.max(max, Math.abs(values[i]!));
  const clamped = Math.max(max, MIN_ABSMAX);
  absmax[absmax.length - 1] = clamped;
  const code = (i: number) => {
    if (i >= values.length) return bucketizeNf4(0);
    const s = Math.fround(values[i]! / clamped);
    return bucketizeNf4(s > 1 ? 1 : s < -1 ? -1 : s);
  };
  for (let i = start; i < values.length; i += 2) codes[i >> 1] = (code(i) << 4) | code(i + 1);
}

const DYNAMIC_MAP_8_SIGNED = dynamicMap8Signed();

/** Double quantization: absmax - mean(absmax) in blocks of 256 with the signed dynamic map. */
function quantizeAbsmax(absmax: Float32Array): Nf4Absmax {
  const offset = Math.fround(torchFloat32Sum(absmax) / absmax.length);
  const centred = new Float32Array(absmax.length);
  for (let i = 0; i < absmax.length; i++) centred[i] = Math.fround(absmax[i]! - offset);
  const nestedMap = DYNAMIC_MAP_8_SIGNED.slice();
  const { codes, absmax: nestedAbsmax } = quantizeBlockwise8(centred, nestedMap, NESTED_BLOCK_SIZE);
  return { kind: 'nested', codes, nestedAbsmax, nestedMap, offset };
}

/** The float32 scale of each 64-element block: `nestedMap[code] * nestedAbsmax[j / 256] + offset` when nested. */
export function blockScales(w: Nf4Weight): Float32Array {
  const a = w.absmax;
  if (a.kind === 'plain') return a.values.slice();
  const out = new Float32Array(a.codes.length);
  const offset = Math.fround(a.offset);
  for (let j = 0; j < out.length; j++) {
    out[j] = Math.fround(Math.fround(a.nestedMap[a.codes[j]!]! * a.nestedAbsmax[Math.floor(j / NESTED_BLOCK_SIZE)]!) + offset);
  }
  return out;
}

/**
 * The float32 weight, row-major [out, in]: `NF4[code] * scale(block)`, as bitsandbytes dequantizes.
 * `out` lets a caller reuse one buffer: first writes to a fresh one cost more than the dequantizing.
 */
export function dequantizeNf4(w: Nf4Weight, out?: Float32Array): Float32Array {
  const n = w.shape[0] * w.shape[1];
  if (out && out.length !== n) throw new RangeError(`dequantizeNf4: output holds ${out.length} values, the weight ${n}`);
  const result = out ?? new Float32Array(n);
  const scales = blockScales(w);
  // Per block the 16 possible products, so each element is one table look-up.
  const table = new Float32Array(16);
  const codes = w.codes;
  for (let b = 0; b < scales.length; b++) {
    const scale = scales[b]!;
    for (let c = 0; c < 16; c++) table[c] = NF4_CODE_VALUES[c]! * scale;
    const start = b * NF4_BLOCK_SIZE;
    const end = Math.min(start + NF4_BLOCK_SIZE, n);
    let i = start;
    for (; i + 1 < end; i += 2) {
      const byte = codes[i >> 1]!;
      result[i] = table[byte >> 4]!;
      result[i + 1] = table[byte & 15]!;
    }
    if (i < end) result[i] = table[codes[i >> 1]! >> 4]!;
  }
  return result;
}

/** Bytes an Nf4Weight holds: its codes and its scales (8-bit codes, second-level absmax, map and offset when nested). */
export function nf4StorageBytes(w: Nf4Weight): number {
  const a = w.absmax;
  const scales = a.kind === 'plain' ? a.values.byteLength : a.codes.byteLength + a.nestedAbsmax.byteLength + a.nestedMap.byteLength + 4;
  return w.codes.byteLength + scales;
}
