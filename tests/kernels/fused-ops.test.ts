/**
 * Each fused op against the plain tfjs ops it replaces, in value and in gradient, the reference's gradient
 * coming from tfjs's own autograd. On wasm this checks the hand-written backward passes; on webgpu the WGSL
 * kernels, forward and backward.
 */
import { beforeAll, describe, test } from 'vitest';
import { initBackend } from '../../src-main/engine/backend/backend';
import * as tf from '../../src-main/engine/backend/tf';
import { lmHeadCrossEntropy } from '../../src-main/engine/ops/lm-head-cross-entropy';
import { lowRankLinear } from '../../src-main/engine/ops/low-rank-linear';
import { groupedAttention } from '../../src-main/engine/ops/grouped-attention';
import { rmsNorm } from '../../src-main/engine/ops/rms-norm/rms-norm';
import { rope } from '../../src-main/engine/ops/rope/rope';
import { swiglu } from '../../src-main/engine/ops/swiglu/swiglu';
import { add, reshape, transpose } from '../../src-main/engine/ops/view-ops';
import { expectClose } from '../expect-close';
import { frozenTestMatrix, randomValues, STORAGES } from './frozen-test-matrices';
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

  test('rope, which also puts heads before positions', async () => {
    const [T, D] = [5, 8];
    const angles = tf.mul(tf.range(0, T).reshape([T, 1, 1]), tf.tile(tf.linspace(0.1, 1, D / 2), [2]).reshape([1, 1, D]));
    const [cos, sin] = [tf.cos(angles) as tf.Tensor3D, tf.sin(angles) as tf.Tensor3D];
    const plain = (x: tf.Tensor) => {
      const [x1, x2] = tf.split(x, 2, -1);
      return tf.transpose(tf.add(tf.mul(x, cos), tf.mul(tf.concat([tf.neg(x2), x1], -1), sin)), [0, 2, 1, 3]);
    };
    await expectSameOp((x) => rope(x as tf.Tensor4D, cos, sin), plain, [random([2, T, 3, D], 5)]);
  });

  // T = 5 fits one tile; at T = 100 the causal products on webgpu skip tiles past their queries, and at T = 512
  // dK and dV run in parts of one head each, which skip each head's queries before their keys too.
  for (const T of [5, 100, 512]) {
    test(`groupedAttention with grouped heads and a per-batch causal and padding mask over ${T} positions (probabilities recomputed backward)`, async () => {
      const [B, H, KV, D] = [2, 4, 2, 8];
      const bias = tf.tensor5d(Float32Array.from({ length: B * T * T }, (_, i) => ((i % T) > Math.floor(i / T) % T || i === 2 * T * T - 1 ? -1e9 : 0)), [B, 1, 1, T, T]);
      const plain = (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) => {
        // Query head h reads KV head h / (H / KV), as transformers' repeat_kv lays them out.
        const repeat = (x: tf.Tensor) => tf.concat(Array.from({ length: H }, (_, h) => tf.slice(x, [0, Math.floor(h / (H / KV)), 0, 0], [B, 1, T, D])), 1); // [B, H, T, D]
        const scores = tf.mul(tf.matMul(q, repeat(k), false, true), 1 / Math.sqrt(D)); // [B, H, T, T]
        return tf.matMul(tf.softmax(tf.add(scores, tf.reshape(bias, [B, 1, T, T]))), repeat(v));
      };
      await expectSameOp((q, k, v) => groupedAttention(q as tf.Tensor4D, k as tf.Tensor4D, v as tf.Tensor4D, bias, KV, true), plain, [random([B, H, T, D], 6), random([B, KV, T, D], 7), random([B, KV, T, D], 8)]);
    });
  }

  // W in every storage (packed on webgpu), against the plain ops on the float32 matrix it stands for; then rows of
  // a multiple of 4 (vec4 loads of W) with W in row blocks of 64 rows (split along the output, then along k).
  const lowRankCases = [...STORAGES.map((s) => [s, 9, 5, 7, 'one block'] as const), ...(['bf16', 'nf4'] as const).map((s) => [s, 70, 132, 136, 64] as const)];
  test.each(lowRankCases)('lowRankLinear with W in %s [x %i, in %i, out %i, rows in blocks: %s]: x·Wᵀ + b + scale · (x′·Aᵀ)·Bᵀ, gradients for x, A, B, and for x′ when it is not x', async (storage, n, inF, outF, blocks) => {
    const r = 3;
    const { matrix, reference: weight } = frozenTestMatrix(randomValues(outF * inF, 9), [outF, inF], storage, blocks === 'one block' ? undefined : blocks);
    const bias = random([outF], 10) as tf.Tensor1D;
    const plain = (x: tf.Tensor, xd: tf.Tensor, a: tf.Tensor, b: tf.Tensor) =>
      tf.add(tf.add(tf.matMul(x, weight, false, true), bias), tf.mul(tf.matMul(tf.matMul(xd, a, false, true), b, false, true), 2));
    const [x, xd, a, b] = [random([n, inF], 11), random([n, inF], 12), random([r, inF], 13), random([outF, r], 14)];
    // x′ = x: one input, whose gradient the op computes in one GEMM.
    await expectSameOp((x, a, b) => lowRankLinear(x as tf.Tensor2D, matrix, bias, { input: x!, a: a as tf.Tensor2D, b: b as tf.Tensor2D, scale: 2 }), (x, a, b) => plain(x!, x!, a!, b!), [x, a, b]);
    // x′ ≠ x (dropout): separate gradients.
    await expectSameOp((x, xd, a, b) => lowRankLinear(x as tf.Tensor2D, matrix, null, { input: xd!, a: a as tf.Tensor2D, b: b as tf.Tensor2D, scale: 2 }), (x, xd, a, b) => tf.sub(plain(x!, xd!, a!, b!), bias), [x, xd, a, b]);
    matrix.dispose();
  });

  test('reshape, transpose and add (the view ops whose backward passes release their dy)', async () => {
    await expectSameOp((x) => reshape(x!, [3, 10]), (x) => tf.reshape(x!, [3, 10]), [random([2, 3, 5], 15)]);
    await expectSameOp((x) => transpose(x!, [2, 0, 1]), (x) => tf.transpose(x!, [2, 0, 1]), [random([2, 3, 5], 16)]);
    await expectSameOp((a, b) => add(a!, b!), (a, b) => tf.add(a!, b!), [random([2, 3], 17), random([2, 3], 18)]);
    await expectSameOp((a) => add(a!, a!), (a) => tf.add(a!, a!), [random([2, 3], 19)]);
  });

  // The LM head in every storage, and in row blocks of 64 rows of the vocabulary.
  test.each([...STORAGES.map((s) => [s, 'one block'] as const), ['bf16', 64] as const])('lmHeadCrossEntropy across chunks, W in %s (rows in blocks: %s)', async (storage, blocks) => {
    const [n, h, v] = [9, 8, 300];
    const { matrix, reference: weight } = frozenTestMatrix(randomValues(v * h, 13, 0.5), [v, h], storage, blocks === 'one block' ? undefined : blocks);
    const targets = Int32Array.from({ length: n }, (_, i) => (i * 7919 + 13) % v);
    const plain = (x: tf.Tensor) => tf.neg(tf.sum(tf.mul(tf.logSoftmax(tf.matMul(x, weight, false, true)), tf.oneHot(tf.tensor1d(targets, 'int32'), v))));
    await expectSameOp((x) => lmHeadCrossEntropy(x as tf.Tensor2D, matrix, targets, 2 * v), plain, [random([n, h], 14)]);
    matrix.dispose();
  });
});
