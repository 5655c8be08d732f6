/**
 * Our Q8_0, Q5_0, Q4_K and Q6_K blocks (and F16/BF16 encodings) against llama.cpp's own quantizers, called
 * byte for byte in the libggml-base node-llama-cpp ships; its round-trip error bound; hand-checked blocks.
 */
import { describe, expect, test } from 'vitest';
import { GGML_TYPES, tensorBytes, type GgmlType } from '../../src-main/engine/export/gguf/ggml-types';
import { halfBits } from '../../src-main/engine/export/gguf/half-float';
import { decodeTensor, encodeTensor } from '../../src-main/engine/export/gguf/tensor-encoding';
import { seededRandom } from '../../src-main/engine/seeded-random';
import { ggmlReference } from './llama-cpp-library';

const ggml = ggmlReference();
const QUANTIZED = ['Q8_0', 'Q5_0', 'Q4_K', 'Q6_K'] as const;
/** ggml's dequantize_row_* function names. */
const ROW_NAME: Record<(typeof QUANTIZED)[number], string> = { Q8_0: 'q8_0', Q5_0: 'q5_0', Q4_K: 'q4_K', Q6_K: 'q6_K' };

/** Rows of 256 with what real weights and edge cases look like: Gaussian, heavy outliers, all zero, constant, tiny. */
function testRows(seed: number): Float32Array {
  const rnd = seededRandom(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const rows: Array<(i: number) => number> = [
    () => gauss() * 0.02,
    (i: number) => (i % 97 === 0 ? 40 : gauss()),
    () => 0,
    () => -0.75,
    () => gauss() * 1e-9,
    (i: number) => (i < 128 ? 0 : gauss() * 3),
    () => Math.abs(gauss()),
    () => -Math.abs(gauss()) * 5,
  ];
  const out = new Float32Array(rows.length * 2 * 256);
  for (let r = 0; r < rows.length * 2; r++) for (let i = 0; i < 256; i++) out[r * 256 + i] = rows[r % rows.length]!(i);
  return out;
}

describe('blocks equal llama.cpp\'s (ggml_quantize_chunk in node-llama-cpp\'s libggml-base)', () => {
  test.each([...QUANTIZED, 'F16', 'BF16'] as GgmlType[])('%s', (type) => {
    for (const seed of [1, 2, 3]) {
      const x = testRows(seed);
      const theirs = ggml.quantize(GGML_TYPES[type].id, x, x.length / 256, 256, tensorBytes(type, x.length));
      expect(Buffer.from(encodeTensor(type, x)).equals(Buffer.from(theirs)), `${type}, seed ${seed}`).toBe(true);
    }
  });

  test.each(QUANTIZED)('%s dequantizes as dequantize_row_*', (type) => {
    const x = testRows(4);
    const bytes = encodeTensor(type, x);
    expect(decodeTensor(type, bytes)).toEqual(ggml.dequantize(ROW_NAME[type], bytes, x.length));
  });
});

describe('round trip within llama.cpp\'s bound', () => {
  // tests/test-quantize-fns.cpp: data 0.1 + 2 cos(i), 4096 values, total error sqrt(sum d^2) / n < 0.002.
  const x = Float32Array.from({ length: 32 * 128 }, (_, i) => 0.1 + 2 * Math.fround(Math.cos(i)));
  test.each(QUANTIZED)('%s', (type) => {
    const y = decodeTensor(type, encodeTensor(type, x));
    let sum = 0;
    for (let i = 0; i < x.length; i++) sum += (x[i]! - y[i]!) ** 2;
    expect(Math.sqrt(sum) / x.length).toBeLessThan(0.002);
  });

  test('Q8_0: every value within half a step of its block (plus the fp16 rounding of the scale)', () => {
    // fp16 keeps 11 significant bits, and nothing finer than 2^-24 absolute
    const x = testRows(5);
    const y = decodeTensor('Q8_0', encodeTensor('Q8_0', x));
    for (let b = 0; b < x.length / 32; b++) {
      const block = x.subarray(b * 32, b * 32 + 32);
      const d = Math.max(...block.map(Math.abs)) / 127;
      for (let j = 0; j < 32; j++) expect(Math.abs(block[j]! - y[b * 32 + j]!)).toBeLessThanOrEqual(d * (0.5 + 127 / 2048) + 127 * 2 ** -25);
    }
  });
});

describe('hand-checked blocks', () => {
  test('Q8_0: scale amax/127, values rounded half away from zero', () => {
    const x = new Float32Array(32);
    x.set([127, 2.5, -2.5, 0.5, -0.5, 1.49, -126.6]);
    const bytes = encodeTensor('Q8_0', x);
    expect([...bytes.subarray(0, 2)]).toEqual([0x00, 0x3c]); // d = 1.0
    expect([...new Int8Array(bytes.buffer, 2, 8)]).toEqual([127, 3, -3, 1, -1, 1, -127, 0]);
  });

  test('Q5_0: scale max/-16, quants truncated from x/d + 16.5, fifth bits in qh', () => {
    const x = new Float32Array(32);
    x.set([-16, 15, 0, 0.5, -0.5, 15.9]);
    x[16] = 3;
    const bytes = encodeTensor('Q5_0', x);
    expect([...bytes.subarray(0, 2)]).toEqual([0x00, 0x3c]); // d = max / -16 = 1.0
    // quants 0, 31, 16, 17, 16, 31 (15.9 + 16.5 clipped) in the first half, 19 at 16, 16 elsewhere:
    // only the first quant lacks its fifth bit
    expect(new DataView(bytes.buffer).getUint32(2, true)).toBe(0xfffffffe);
    expect([...bytes.subarray(6, 12)]).toEqual([0x30, 0x0f, 0x00, 0x01, 0x00, 0x0f]);
    expect([...decodeTensor('Q5_0', bytes).subarray(0, 6)]).toEqual([-16, 15, 0, 1, 0, 15]);
  });

  test('Q4_K: 0..15 in every sub-block is exact with scale 1 and min 0', () => {
    const x = Float32Array.from({ length: 256 }, (_, i) => i % 16);
    const bytes = encodeTensor('Q4_K', x);
    expect(new DataView(bytes.buffer).getUint16(0, true)).toBe(halfBits(1 / 63)); // d: six-bit scales of 63
    expect(new DataView(bytes.buffer).getUint16(2, true)).toBe(0); // dmin
    expect([...bytes.subarray(4, 16)]).toEqual([255, 255, 255, 255, 0, 0, 0, 0, 15, 15, 15, 15]);
    expect([...bytes.subarray(16)]).toEqual(Array.from({ length: 128 }, (_, i) => (i % 16) * 17));
    expect(decodeTensor('Q4_K', bytes).map((v, i) => Math.round(v) - x[i]!)).toEqual(new Float32Array(256));
  });

  test.each(['Q8_0', 'Q4_K', 'Q6_K'] as const)('%s: an all-zero block is all zero bytes', (type) => {
    expect(encodeTensor(type, new Float32Array(256)).every((b) => b === 0)).toBe(true);
  });

  test('Q5_0: an all-zero block has scale -0 and every quant at the offset 16', () => {
    const bytes = encodeTensor('Q5_0', new Float32Array(32));
    expect([...bytes]).toEqual([0x00, 0x80, 0xff, 0xff, 0xff, 0xff, ...new Array(16).fill(0)]);
    expect(decodeTensor('Q5_0', bytes).every((v) => v === 0)).toBe(true);
  });
});
