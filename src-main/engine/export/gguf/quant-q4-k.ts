/**
 * Q4_K: super-blocks of 256 values in 8 sub-blocks of 32, each with a 6-bit scale and min, as ggml-quants.c's
 * `quantize_row_q4_K_ref` (with `make_qkx2_quants`) and `dequantize_row_q4_K`. Without an importance matrix
 * llama-quantize uses exactly this reference quantizer.
 */
import { nearestInt } from './ggml-rounding';
import { halfBits, halfValue } from './half-float';

const QK_K = 256;
const BLOCK_BYTES = 144;
const f = Math.fround;

/** ggml's make_qkx2_quants: an asymmetric (scale, min) fit of `n` values to 0..nmax, searched over 21 scales. */
function makeQkx2Quants(
  n: number,
  nmax: number,
  x: Float32Array,
  weights: Float32Array,
  L: Uint8Array,
  Laux: Uint8Array,
  rmin: number,
  rdelta: number,
  nstep: number,
): { scale: number; theMin: number } {
  let min = x[0]!;
  let max = x[0]!;
  let sumW = weights[0]!;
  let sumX = f(sumW * x[0]!);
  for (let i = 1; i < n; i++) {
    const xi = x[i]!;
    if (xi < min) min = xi;
    if (xi > max) max = xi;
    const w = weights[i]!;
    sumW = f(sumW + w);
    sumX = f(sumX + f(w * xi));
  }
  if (min > 0) min = 0;
  if (max === min) {
    L.fill(0, 0, n);
    return { scale: 0, theMin: -min };
  }
  let iscale = f(nmax / f(max - min));
  let scale = f(1 / iscale);
  let bestError = 0;
  for (let i = 0; i < n; i++) {
    const l = clamp(nearestInt(f(iscale * f(x[i]! - min))), nmax);
    L[i] = l;
    const diff = f(f(f(scale * l) + min) - x[i]!);
    bestError = f(bestError + f(weights[i]! * f(diff * diff)));
  }
  for (let is = 0; is <= nstep; is++) {
    iscale = f(f(f(rmin + f(rdelta * is)) + nmax) / f(max - min));
    let sumL = 0;
    let sumL2 = 0;
    let sumXL = 0;
    for (let i = 0; i < n; i++) {
      const l = clamp(nearestInt(f(iscale * f(x[i]! - min))), nmax);
      Laux[i] = l;
      const wl = f(weights[i]! * l);
      sumL = f(sumL + wl);
      sumL2 = f(sumL2 + f(wl * l));
      sumXL = f(sumXL + f(wl * x[i]!));
    }
    const D = f(f(sumW * sumL2) - f(sumL * sumL));
    if (D > 0) {
      let thisScale = f(f(f(sumW * sumXL) - f(sumX * sumL)) / D);
      let thisMin = f(f(f(sumL2 * sumX) - f(sumL * sumXL)) / D);
      if (thisMin > 0) {
        thisMin = 0;
        thisScale = f(sumXL / sumL2);
      }
      let curError = 0;
      for (let i = 0; i < n; i++) {
        const diff = f(f(f(thisScale * Laux[i]!) + thisMin) - x[i]!);
        curError = f(curError + f(weights[i]! * f(diff * diff)));
      }
      if (curError < bestError) {
        L.set(Laux.subarray(0, n));
        bestError = curError;
        scale = thisScale;
        min = thisMin;
      }
    }
  }
  return { scale, theMin: -min };
}

const clamp = (l: number, nmax: number) => (l < 0 ? 0 : l > nmax ? nmax : l);

/** ggml's get_scale_min_k4: the j-th 6-bit scale and min packed in the 12 scale bytes at `o`. */
function scaleMinK4(j: number, q: Uint8Array, o: number): [number, number] {
  if (j < 4) return [q[o + j]! & 63, q[o + j + 4]! & 63];
  return [(q[o + j + 4]! & 0xf) | ((q[o + j - 4]! >>> 6) << 4), (q[o + j + 4]! >>> 4) | ((q[o + j]! >>> 6) << 4)];
}

export function quantizeQ4_K(x: Float32Array): Uint8Array {
  const nb = x.length / QK_K;
  const out = new Uint8Array(nb * BLOCK_BYTES);
  const view = new DataView(out.buffer);
  const L = new Uint8Array(QK_K);
  const Laux = new Uint8Array(32);
  const weights = new Float32Array(32);
  const mins = new Float32Array(QK_K / 32);
  const scales = new Float32Array(QK_K / 32);
  for (let i = 0; i < nb; i++) {
    const xb = i * QK_K;
    const o = i * BLOCK_BYTES;
    let maxScale = 0;
    let maxMin = 0;
    for (let j = 0; j < QK_K / 32; j++) {
      let sumX2 = 0;
      for (let l = 0; l < 32; l++) sumX2 = f(sumX2 + f(x[xb + 32 * j + l]! * x[xb + 32 * j + l]!));
      const avX = f(Math.sqrt(f(sumX2 / 32)));
      for (let l = 0; l < 32; l++) weights[l] = f(avX + Math.abs(x[xb + 32 * j + l]!));
      const r = makeQkx2Quants(32, 15, x.subarray(xb + 32 * j, xb + 32 * j + 32), weights, L.subarray(32 * j, 32 * j + 32), Laux, -1, f(0.1), 20);
      scales[j] = r.scale;
      mins[j] = r.theMin;
      if (scales[j]! > maxScale) maxScale = scales[j]!;
      if (mins[j]! > maxMin) maxMin = mins[j]!;
    }
    const invScale = maxScale > 0 ? f(63 / maxScale) : 0;
    const invMin = maxMin > 0 ? f(63 / maxMin) : 0;
    const sc = o + 4;
    for (let j = 0; j < QK_K / 32; j++) {
      // uint8_t ls = nearest_int(...): the int is narrowed to a byte before the clamp
      const ls = Math.min(63, nearestInt(f(invScale * scales[j]!)) & 0xff);
      const lm = Math.min(63, nearestInt(f(invMin * mins[j]!)) & 0xff);
      if (j < 4) {
        out[sc + j] = ls;
        out[sc + j + 4] = lm;
      } else {
        out[sc + j + 4] = (ls & 0xf) | ((lm & 0xf) << 4);
        out[sc + j - 4]! |= (ls >>> 4) << 6;
        out[sc + j]! |= (lm >>> 4) << 6;
      }
    }
    view.setUint16(o, halfBits(f(maxScale / 63)), true);
    view.setUint16(o + 2, halfBits(f(maxMin / 63)), true);
    const dAll = halfValue(view.getUint16(o, true));
    const dminAll = halfValue(view.getUint16(o + 2, true));
    for (let j = 0; j < QK_K / 32; j++) {
      const [s, m] = scaleMinK4(j, out, sc);
      const d = f(dAll * s);
      if (!d) continue;
      const dm = f(dminAll * m);
      for (let ii = 0; ii < 32; ii++) {
        const l = nearestInt(f(f(x[xb + 32 * j + ii]! + dm) / d));
        L[32 * j + ii] = Math.max(0, Math.min(15, l));
      }
    }
    let q = o + 16;
    for (let j = 0; j < QK_K; j += 64) {
      for (let l = 0; l < 32; l++) out[q + l] = L[j + l]! | (L[j + l + 32]! << 4);
      q += 32;
    }
  }
  return out;
}

export function dequantizeQ4_K(bytes: Uint8Array): Float32Array {
  const nb = bytes.length / BLOCK_BYTES;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const y = new Float32Array(nb * QK_K);
  let yi = 0;
  for (let i = 0; i < nb; i++) {
    const o = i * BLOCK_BYTES;
    const d = halfValue(view.getUint16(o, true));
    const min = halfValue(view.getUint16(o + 2, true));
    let q = o + 16;
    let is = 0;
    for (let j = 0; j < QK_K; j += 64) {
      const [s1, m1] = scaleMinK4(is, bytes, o + 4);
      const [s2, m2] = scaleMinK4(is + 1, bytes, o + 4);
      const d1 = f(d * s1);
      const min1 = f(min * m1);
      const d2 = f(d * s2);
      const min2 = f(min * m2);
      for (let l = 0; l < 32; l++) y[yi++] = f(d1 * (bytes[q + l]! & 0xf)) - min1;
      for (let l = 0; l < 32; l++) y[yi++] = f(d2 * (bytes[q + l]! >>> 4)) - min2;
      q += 32;
      is += 2;
    }
  }
  return y;
}
