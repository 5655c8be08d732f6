/**
 * Q5_0: blocks of 32 values as one fp16 scale and 5-bit quants (low nibbles in `qs`, fifth bits in `qh`), as
 * ggml-quants.c's `quantize_row_q5_0_ref` / `dequantize_row_q5_0`. llama-quantize falls back to it for a Q4_K
 * tensor whose rows are not a multiple of 256 long.
 */
import { halfBits, halfValue } from './half-float';

const QK = 32;
const BLOCK_BYTES = 22;
const f = Math.fround;

export function quantizeQ5_0(x: Float32Array): Uint8Array {
  const nb = x.length / QK;
  const out = new Uint8Array(nb * BLOCK_BYTES);
  const view = new DataView(out.buffer);
  for (let i = 0; i < nb; i++) {
    let amax = 0;
    let max = 0;
    for (let j = 0; j < QK; j++) {
      const v = x[i * QK + j]!;
      if (amax < Math.abs(v)) {
        amax = Math.abs(v);
        max = v;
      }
    }
    const d = f(max / -16);
    const id = d ? f(1 / d) : 0;
    const o = i * BLOCK_BYTES;
    view.setUint16(o, halfBits(d), true);
    let qh = 0;
    for (let j = 0; j < QK / 2; j++) {
      const x0 = f(x[i * QK + j]! * id);
      const x1 = f(x[i * QK + QK / 2 + j]! * id);
      // (int8_t)(x + 16.5f): truncation toward zero
      const xi0 = Math.min(31, Math.trunc(f(x0 + 16.5)));
      const xi1 = Math.min(31, Math.trunc(f(x1 + 16.5)));
      out[o + 6 + j] = (xi0 & 0x0f) | ((xi1 & 0x0f) << 4);
      qh |= ((xi0 & 0x10) >>> 4) << j;
      qh |= ((xi1 & 0x10) >>> 4) << (j + QK / 2);
    }
    view.setUint32(o + 2, qh >>> 0, true);
  }
  return out;
}

export function dequantizeQ5_0(bytes: Uint8Array): Float32Array {
  const nb = bytes.length / BLOCK_BYTES;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const y = new Float32Array(nb * QK);
  for (let i = 0; i < nb; i++) {
    const o = i * BLOCK_BYTES;
    const d = halfValue(view.getUint16(o, true));
    const qh = view.getUint32(o + 2, true);
    for (let j = 0; j < QK / 2; j++) {
      const q = bytes[o + 6 + j]!;
      const xh0 = ((qh >>> j) << 4) & 0x10;
      const xh1 = (qh >>> (j + 12)) & 0x10;
      y[i * QK + j] = (((q & 0x0f) | xh0) - 16) * d;
      y[i * QK + QK / 2 + j] = (((q >>> 4) | xh1) - 16) * d;
    }
  }
  return y;
}
