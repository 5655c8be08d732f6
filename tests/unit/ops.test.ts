/** Custom ops against the plain tfjs ops they replace: values and gradients, on wasm and cpu. */
import { beforeAll, describe, expect, test } from 'vitest';
import { initBackend } from '../../src-main/engine/backend/backend';
import * as tf from '../../src-main/engine/backend/tf';
import { gatherRows } from '../../src-main/engine/ops/gather-rows';
import { lmHeadCrossEntropy } from '../../src-main/engine/ops/lm-head-cross-entropy';
import { frozenLinear } from '../../src-main/engine/ops/frozen-linear';
import { FrozenMatrix } from '../../src-main/engine/ops/frozen-matrix';
import { expectClose } from '../expect-close';

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
    const frozen = FrozenMatrix.fromTensor(weight);
    await expectClose(lmHeadCrossEntropy(hidden, frozen, targets, chunk), reference(hidden), 1e-5);
    await expectClose(tf.grad((x: tf.Tensor) => lmHeadCrossEntropy(x as tf.Tensor2D, frozen, targets, chunk))(hidden, dy), tf.grad((x: tf.Tensor) => reference(x as tf.Tensor2D))(hidden, dy), 1e-5);
  });

  test('frozenLinear equals tf.matMul with a transposed weight, gradient included', async () => {
    const x = tf.randomNormal([7, 4], 0, 1, 'float32', 7) as tf.Tensor2D;
    const w = tf.randomNormal([3, 4], 0, 1, 'float32', 8) as tf.Tensor2D;
    const frozen = FrozenMatrix.fromTensor(w);
    await expectClose(frozenLinear(x, frozen), tf.matMul(x, w, false, true), 1e-5);
    await expectClose(tf.grad((t: tf.Tensor) => tf.sum(tf.square(frozenLinear(t as tf.Tensor2D, frozen))))(x), tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.matMul(t, w, false, true))))(x), 1e-5);
  });

  test('gatherRows gathers, and its gradient scatters back', async () => {
    const x = tf.randomNormal([6, 3], 0, 1, 'float32', 9);
    const idx = Int32Array.of(4, 0, 5);
    await expectClose(gatherRows(x, idx), tf.gather(x, tf.tensor1d(idx, 'int32')), 1e-5);
    const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(gatherRows(t, idx), tf.tensor2d([[1, 2, 3], [4, 5, 6], [7, 8, 9]]))))(x);
    expect(await grad.array()).toEqual([[4, 5, 6], [0, 0, 0], [0, 0, 0], [0, 0, 0], [1, 2, 3], [7, 8, 9]]);
  });
});
