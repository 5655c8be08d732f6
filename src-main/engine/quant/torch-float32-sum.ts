/**
 * `torch.sum` of a contiguous float32 vector in float32, in the order ATen's CPU kernel adds (SumKernel.cpp,
 * `cascade_sum` → `vectorized_inner_sum`, 8-lane AVX2 vectors, one thread): bitsandbytes' double-quantization
 * offset is this sum divided by the count, and a different order changes its last bit. torch uses several
 * threads, in an order that depends on their number, past 32768 elements (GRAIN_SIZE); there the result is
 * as close but may differ in the last bit.
 */

const LANES = 8;
/** Vectors summed side by side (`row_sum`'s ilp_factor). */
const ROWS = 4;
/** Levels of partial sums in `multi_row_sum`: chunks of chunks keep additions between similar magnitudes. */
const LEVELS = 4;

export function torchFloat32Sum(x: Float32Array): number {
  const n = x.length;
  if (n < LANES) {
    let s = 0;
    for (let i = 0; i < n; i++) s = Math.fround(s + x[i]!);
    return s;
  }
  const vectors = Math.floor(n / LANES);
  const rows = Math.floor(vectors / ROWS);
  // multi_row_sum over `rows` rows of ROWS vectors: acc[level][row slot][lane].
  const levelPower = Math.max(4, Math.floor(ceilLog2(rows) / LEVELS));
  const levelStep = 2 ** levelPower;
  const levelMask = levelStep - 1;
  const width = ROWS * LANES;
  const acc = new Float32Array(LEVELS * width);
  const addRow = (r: number) => {
    const base = r * width;
    for (let k = 0; k < width; k++) acc[k] = Math.fround(acc[k]! + x[base + k]!);
  };
  let r = 0;
  while (r + levelStep <= rows) {
    for (let j = 0; j < levelStep; j++, r++) addRow(r);
    for (let level = 1; level < LEVELS; level++) {
      for (let k = 0; k < width; k++) {
        acc[level * width + k] = Math.fround(acc[level * width + k]! + acc[(level - 1) * width + k]!);
        acc[(level - 1) * width + k] = 0;
      }
      if ((r & (levelMask * 2 ** (level * levelPower))) !== 0) break;
    }
  }
  for (; r < rows; r++) addRow(r);
  for (let level = 1; level < LEVELS; level++) {
    for (let k = 0; k < width; k++) acc[k] = Math.fround(acc[k]! + acc[level * width + k]!);
  }
  // row_sum: leftover vectors into the first slot, then the other slots into it.
  const partial = acc.slice(0, LANES);
  for (let v = rows * ROWS; v < vectors; v++) {
    for (let l = 0; l < LANES; l++) partial[l] = Math.fround(partial[l]! + x[v * LANES + l]!);
  }
  for (let k = 1; k < ROWS; k++) {
    for (let l = 0; l < LANES; l++) partial[l] = Math.fround(partial[l]! + acc[k * LANES + l]!);
  }
  // vectorized_inner_sum: the scalar tail first, then the lanes in order.
  let sum = 0;
  for (let i = vectors * LANES; i < n; i++) sum = Math.fround(sum + x[i]!);
  for (let l = 0; l < LANES; l++) sum = Math.fround(sum + partial[l]!);
  return sum;
}

/** ATen's `utils::CeilLog2`. */
function ceilLog2(v: number): number {
  return v <= 2 ? 1 : 32 - Math.clz32(v - 1);
}
