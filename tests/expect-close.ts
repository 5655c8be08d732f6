import { expect } from 'vitest';
import type * as tf from '../src-main/engine/backend/tf';
import { maxAbs, maxAbsDiff } from './fixtures';

/** |got - want| relative to the largest |want| (at least 1) is below `tol`. */
export async function expectClose(got: tf.Tensor, want: tf.Tensor, tol: number): Promise<void> {
  expect(got.shape).toEqual(want.shape);
  const w = await want.data();
  expect(maxAbsDiff(await got.data(), w) / Math.max(1, maxAbs(w))).toBeLessThan(tol);
}
