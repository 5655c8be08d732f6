/** Custom ops against the plain tfjs ops they replace: values and gradients, on wasm and cpu. */
import { beforeAll, describe, expect, test } from 'vitest';
import { initBackend } from '../../src-main/engine/backend/backend';
import * as tf from '../../src-main/engine/backend/tf';
import { gatherRows } from '../../src-main/engine/ops/gather-rows';
import { lmHeadCrossEntropy } from '../../src-main/engine/ops/lm-head-cross-entropy';
import { frozenLinear, matMul } from '../../src-main/engine/ops/mat-mul';
import { maxAbs, maxAbsDiff } from '../fixtures';

const close = async (got: tf.Tensor, want: tf.Tensor, tol = 1e-5) => {
  const w = await want.data();
  expect(maxAbsDiff(await got.data(), w) / Math.max(1, maxAbs(w))).toBeLessThan(tol);
};

describe.each(['wasm', 'cpu'] as const)('custom ops on %s', (backend) => {
  beforeAll(async () => {
    await initBackend(backend);
  });

  test('lmHeadCrossEntropy equals logSoftmax + gather, in value and gradient, across chunks', async () => {
    // Chunks of 2 rows: 5 chunks, the last one short.
    const [n, h, v] = [9, 8, 1000];
    const chunk = 2 * v;
    const hidden = tf.randomNormal([n, h], 0, 1, 'float32', 1) as tf.Tensor2D;
    const weight = tf.randomNormal([v, h], 0, 0.5, 'float32', 2) as tf.Tensor2D;
    const targets = Int32Array.from({ length: n }, (_, i) => (i * 7919 + 13) % v);
    const reference = (x: tf.Tensor2D) => {
      const logProbs = tf.logSoftmax(tf.matMul(x, weight, false, true)); // [n, v]
      return tf.sum(tf.mul(logProbs, tf.oneHot(tf.tensor1d(targets, 'int32'), v))).neg() as tf.Scalar;
    };
    const dy = tf.scalar(0.37);
    await close(lmHeadCrossEntropy(hidden, weight, targets, chunk), reference(hidden));
    await close(tf.grad((x: tf.Tensor) => lmHeadCrossEntropy(x as tf.Tensor2D, weight, targets, chunk))(hidden, dy), tf.grad((x: tf.Tensor) => reference(x as tf.Tensor2D))(hidden, dy));
  });

  test('matMul with transposes and frozenLinear equal tf.matMul, gradients included', async () => {
    const a = tf.randomNormal([6, 5, 4], 0, 1, 'float32', 3);
    const b = tf.randomNormal([6, 6, 4], 0, 1, 'float32', 4);
    const f = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(matMul(x, y, false, true), tf.range(0, 30).reshape([5, 6])));
    const g = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, y, false, true), tf.range(0, 30).reshape([5, 6])));
    const [ga, gb] = tf.grads(f)([a, b]);
    const [ra, rb] = tf.grads(g)([a, b]);
    await close(matMul(a, b, false, true), tf.matMul(a, b, false, true));
    await close(ga!, ra!);
    await close(gb!, rb!);
    const at = tf.randomNormal([4, 5], 0, 1, 'float32', 5);
    await close(matMul(at, tf.randomNormal([4, 6], 0, 1, 'float32', 6), true, false), tf.matMul(at, tf.randomNormal([4, 6], 0, 1, 'float32', 6), true, false));
    const x = tf.randomNormal([7, 4], 0, 1, 'float32', 7) as tf.Tensor2D;
    const w = tf.randomNormal([3, 4], 0, 1, 'float32', 8) as tf.Tensor2D;
    await close(frozenLinear(x, w), tf.matMul(x, w, false, true));
    await close(tf.grad((t: tf.Tensor) => tf.sum(tf.square(frozenLinear(t as tf.Tensor2D, w))))(x), tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.matMul(t, w, false, true))))(x));
  });

  test('gatherRows gathers, and its gradient scatters back', async () => {
    const x = tf.randomNormal([6, 3], 0, 1, 'float32', 9);
    const idx = Int32Array.of(4, 0, 5);
    await close(gatherRows(x, idx), tf.gather(x, tf.tensor1d(idx, 'int32')));
    const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(gatherRows(t, idx), tf.tensor2d([[1, 2, 3], [4, 5, 6], [7, 8, 9]]))))(x);
    expect(await grad.array()).toEqual([[4, 5, 6], [0, 0, 0], [0, 0, 0], [0, 0, 0], [1, 2, 3], [7, 8, 9]]);
  });
});
