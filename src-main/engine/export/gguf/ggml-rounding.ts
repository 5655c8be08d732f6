/**
 * The integer roundings ggml-quants.c uses, on float32 values. Every quantizer here computes in float32
 * (Math.fround after each operation) because its blocks must equal ggml's byte for byte.
 */
const f = Math.fround;

/** ggml's `nearest_int`: adds 1.5 * 2^23 in float32 arithmetic, so ties round to even. Valid for |x| < 2^22. */
export function nearestInt(x: number): number {
  return f(x + 12582912) - 12582912;
}

/** C's `roundf`: ties away from zero. */
export function roundAwayFromZero(x: number): number {
  return x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5);
}
