/**
 * Q8_0: blocks of 32 values as one fp16 scale and 32 int8 quants, as ggml-quants.c's
 * `quantize_row_q8_0_ref` / `dequantize_row_q8_0` (the quantizer llama-quantize uses).
 */
import { roundAwayFromZero } from './ggml-rounding';
import { halfBits, halfValue } from './half-float';

const QK = 32;
const BLOCK_BYTES = 34;
const f = Math.fround;

export function quantizeQ8_0(x: Float32Array): Uint8Array {
  const nb = x.length / QK;
  const out = new Uint8Array(nb * BLOCK_BYTES);
  const view = new DataView(out.buffer);
  for (let i = 0; i < nb; i++) {
    let amax = 0;
    for (let j = 0; j < QK; j++) amax = Math.max(amax, Math.abs(x[i * QK + j]!));
    const d = f(amax / 127);
    const id = d ? f(1 / d) : 0;
    const o = i * BLOCK_BYTES;
    view.setUint16(o, halfBits(d), true);
    for (let j = 0; j < QK; j++) view.setInt8(o + 2 + j, roundAwayFromZero(f(x[i * QK + j]! * id)));
  }
  return out;
}

export function dequantizeQ8_0(bytes: Uint8Array): Float32Array {
  const nb = bytes.length / BLOCK_BYTES;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const y = new Float32Array(nb * QK);
  for (let i = 0; i < nb; i++) {
    const o = i * BLOCK_BYTES;
    const d = halfValue(view.getUint16(o, true));
    for (let j = 0; j < QK; j++) y[i * QK + j] = view.getInt8(o + 2 + j) * d;
  }
  return y;
}
