/**
 * Each fused op against the plain tfjs ops it replaces, in value and in gradient, the reference's gradient
 * coming from tfjs's own autograd. On wasm this checks the hand-written backward passes; on webgpu the WGSL
 * kernels, forward and backward.
 */
import { beforeAll, describe, test } from 'vitest';
import { initBackend } from '../../src-main/engine/backend/backend';
import * as tf from '../../src-main/engine/backend/tf';
import { lmHeadCrossEntropy } from '../../src-main/engine/ops/lm-head-cross-entropy';
import { addLoraProduct } from '../../src-main/engine/ops/lora-product';
import { maskedSoftmax } from '../../src-main/engine/ops/masked-softmax/masked-softmax';
import { matMul } from '../../src-main/engine/ops/mat-mul';
import { rmsNorm } from '../../src-main/engine/ops/rms-norm/rms-norm';
import { rope } from '../../src-main/engine/ops/rope/rope';
import { swiglu } from '../../src-main/engine/ops/swiglu/swiglu';
import { expectClose } from './expect-close';
import { KERNEL_BACKENDS } from './kernel-backends';

const random = (shape: number[], seed: number, scale = 1) => tf.randomNormal(shape, 0, scale, 'float32', seed);

/**
 * op and reference agree in value and in the gradients of Σ op(xs) · w for every input. The weighted sum (a tfjs op)
 * is what is differentiated, so the ops never receive the caller's dy (they release theirs after use).
 */
async function expectSameOp(op: (...xs: tf.Tensor[]) => tf.Tensor, reference: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[], tol = 1e-5) {
  const want = reference(...inputs);
  await expectClose(op(...inputs), want, tol);
  const w = random(want.shape, 99);
  const grads = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(op(...xs), w)))(inputs);
  const wantGrads = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(reference(...xs), w)))(inputs);
  for (let i = 0; i < inputs.length; i++) await expectClose(grads[i]!, wantGrads[i]!, tol);
}

describe.each(KERNEL_BACKENDS)('fused ops on %s', (backend) => {
  beforeAll(async () => {
    await initBackend(backend);
  });

  test('rmsNorm (rows longer and shorter than a workgroup)', async () => {
    for (const cols of [40, 300]) {
      const weight = random([cols], 1) as tf.Tensor1D;
      const plain = (x: tf.Tensor) => tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), 1e-6))), weight);
      await expectSameOp((x) => rmsNorm(x, weight, 1e-6), plain, [random([2, 3, cols], 2)]);
    }
  });

  test('swiglu', async () => {
    const plain = (g: tf.Tensor, u: tf.Tensor) => tf.mul(tf.mul(g, tf.sigmoid(g)), u);
    await expectSameOp(swiglu, plain, [random([3, 5, 70], 3, 3), random([3, 5, 70], 4)]);
  });

  test('rope', async () => {
    const [T, D] = [5, 8];
    const angles = tf.mul(tf.range(0, T).reshape([T, 1, 1]), tf.tile(tf.linspace(0.1, 1, D / 2), [2]).reshape([1, 1, D]));
    const [cos, sin] = [tf.cos(angles) as tf.Tensor3D, tf.sin(angles) as tf.Tensor3D];
    const plain = (x: tf.Tensor) => {
      const [x1, x2] = tf.split(x, 2, -1);
      return tf.add(tf.mul(x, cos), tf.mul(tf.concat([tf.neg(x2), x1], -1), sin));
    };
    await expectSameOp((x) => rope(x as tf.Tensor4D, cos, sin), plain, [random([2, T, 3, D], 5)]);
  });

  test('maskedSoftmax with a per-batch causal and padding bias', async () => {
    const [B, G, T, S] = [2, 3, 4, 6];
    const bias = tf.tensor4d(Float32Array.from({ length: B * T * S }, (_, i) => ((i % S) > 2 + ((i / S) % T) || i === 5 ? -1e9 : 0)), [B, 1, T, S]);
    const plain = (x: tf.Tensor) => tf.softmax(tf.add(x, bias));
    await expectSameOp((x) => maskedSoftmax(x as tf.Tensor4D, bias), plain, [random([B, G, T, S], 6, 2)]);
  });

  test('matMul in all four layouts, gradients through gemm', async () => {
    for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const a = random(tA ? [2, 6, 5] : [2, 5, 6], 7);
      const b = random(tB ? [2, 4, 6] : [2, 6, 4], 8);
      await expectSameOp((x, y) => matMul(x!, y!, tA, tB, 0.5), (x, y) => tf.mul(tf.matMul(x!, y!, tA, tB), 0.5), [a, b]);
    }
  });

  test('addLoraProduct: base + scale · (x Aᵀ) Bᵀ, gradients for base, x, A and B', async () => {
    const plain = (base: tf.Tensor, x: tf.Tensor, a: tf.Tensor, b: tf.Tensor) => tf.add(base, tf.mul(tf.matMul(tf.matMul(x, a, false, true), b, false, true), 2));
    await expectSameOp((base, x, a, b) => addLoraProduct(base as tf.Tensor2D, x as tf.Tensor2D, a as tf.Tensor2D, b as tf.Tensor2D, 2), plain, [
      random([9, 7], 9),
      random([9, 5], 10),
      random([3, 5], 11),
      random([7, 3], 12),
    ]);
  });

  test('lmHeadCrossEntropy across chunks', async () => {
    const [n, h, v] = [9, 8, 300];
    const weight = random([v, h], 13, 0.5) as tf.Tensor2D;
    const targets = Int32Array.from({ length: n }, (_, i) => (i * 7919 + 13) % v);
    const plain = (x: tf.Tensor) => tf.neg(tf.sum(tf.mul(tf.logSoftmax(tf.matMul(x, weight, false, true)), tf.oneHot(tf.tensor1d(targets, 'int32'), v))));
    await expectSameOp((x) => lmHeadCrossEntropy(x as tf.Tensor2D, weight, targets, 2 * v), plain, [random([n, h], 14)]);
  });
});
