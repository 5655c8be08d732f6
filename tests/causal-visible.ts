import * as tf from '../src-main/engine/backend/tf';

/** 1 where key s is visible from row r (s ≤ r mod T: queries stacked in groups of T), else 0: [rows, T]. */
export const causalVisible = (rows: number, T: number): tf.Tensor2D =>
  tf.tensor2d(Float32Array.from({ length: rows * T }, (_, i) => (i % T <= Math.floor(i / T) % T ? 1 : 0)), [rows, T]);
