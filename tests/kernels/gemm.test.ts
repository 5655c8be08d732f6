/** gemm against tfjs's matMul on the same backend: on webgpu the WGSL kernel in every layout and tile shape it picks. */
import { beforeAll, describe, expect, test } from 'vitest';
import { initBackend } from '../../src-main/engine/backend/backend';
import * as tf from '../../src-main/engine/backend/tf';
import { gemm } from '../../src-main/engine/ops/gemm/gemm';
import { plan } from '../../src-main/engine/ops/gemm/gemm-webgpu';
import { KERNEL_BACKENDS } from './kernel-backends';
import { expectClose } from '../expect-close';

describe.each(KERNEL_BACKENDS)('gemm on %s', (backend) => {
  beforeAll(async () => {
    await initBackend(backend);
  });
  // [batch, m, n, k], chosen so the WGSL kernel picks each of its tile shapes (128x128, 128x64, 64x64, 64x16,
  // 16x64, 16x16) with partial tiles at the edges, reading each operand as vec4s (its contiguous dimension a
  // multiple of 4) and as scalars; with batch 3, b has batch 1 (broadcast). k of 20 or more than 16 has a
  // partial last k tile, and reading ahead crosses tiles. The last four have few workgroups and a long k, so
  // k is split into parts (4, 4, 2, and 16 of 128 x 128 tiles for the longest k) summed by a second kernel, the
  // last part shorter than the others.
  const cases: Array<[number, number, number, number]> = [
    [8, 1100, 1100, 20],
    [4, 1100, 300, 21],
    [8, 200, 200, 10],
    [4, 200, 200, 36],
    [4, 200, 200, 19],
    [2, 20, 4000, 30],
    [2, 20, 4000, 52],
    [3, 33, 17, 19],
    [3, 36, 20, 44],
    [1, 16, 300, 64],
    [1, 300, 16, 64],
    [1, 16, 300, 2100],
    [1, 300, 16, 2050],
    [2, 40, 20, 1500],
    [1, 150, 130, 8200],
  ];
  for (const [batch, m, n, k] of cases) {
    for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      test(`[${batch}, ${m}, ${n}, ${k}] transposeA=${tA} transposeB=${tB}`, async () => {
        const a = tf.randomNormal(tA ? [batch, k, m] : [batch, m, k], 0, 1, 'float32', 1);
        const bBatch = batch === 3 ? 1 : batch;
        const b = tf.randomNormal(tB ? [bBatch, n, k] : [bBatch, k, n], 0, 1, 'float32', 2);
        const d = tf.randomNormal([batch, m, n], 0, 1, 'float32', 3);
        const bias = tf.randomNormal([n], 0, 1, 'float32', 4);
        const product = tf.matMul(a, b, tA, tB);
        await expectClose(gemm(a, b, { transposeA: tA, transposeB: tB, alpha: 0.5, addend: d }), tf.add(tf.mul(product, 0.5), d), 1e-5);
        await expectClose(gemm(a, b, { transposeA: tA, transposeB: tB }), product, 1e-5);
        await expectClose(gemm(a, b, { transposeA: tA, transposeB: tB, bias }), tf.add(product, bias), 1e-5);
        await expectClose(gemm(a, b, { transposeA: tA, transposeB: tB, alpha: 0.5, addend: d, bias }), tf.add(tf.add(tf.mul(product, 0.5), d), bias), 1e-5);
      });
    }
  }

  test('rank-2 operands and shape errors', async () => {
    const a = tf.randomNormal([5, 4], 0, 1, 'float32', 4);
    const b = tf.randomNormal([6, 4], 0, 1, 'float32', 5);
    await expectClose(gemm(a, b, { transposeB: true }), tf.matMul(a, b, false, true), 1e-5);
    expect(() => gemm(a, b)).toThrow(/cannot multiply \[5,4\] by \[6,4\]/);
    expect(() => gemm(a, b.expandDims(0))).toThrow(/same rank/);
    expect(() => gemm(a, b, { transposeB: true, bias: tf.zeros([5]) })).toThrow(/the bias must be \[6\], got \[5\]/);
  });
});

test('the WGSL kernel splits k only where few workgroups would walk a long k', () => {
  const split = (m: number, n: number, k: number) => plan({ batch: 1, m, n, k, transposeA: false, transposeB: false }).split;
  // Qwen2.5-0.5B at 2,048 tokens: LoRA's dA [16, 896] and dB [896, 16] over the tokens are split ...
  expect(split(16, 896, 2048)).toBe(4);
  expect(split(896, 16, 2048)).toBe(4);
  // ... the projections with workgroups to spare or a short k are not; down_proj's 2048 x 896 x 4864 is.
  expect(split(2048, 896, 896)).toBe(1);
  expect(split(2048, 4864, 896)).toBe(1);
  expect(split(2048, 896, 4864)).toBe(3);
  // The LM head's input gradient for a chunk of 441 rows, summed over the vocabulary: 128 x 128 tiles, 19 parts.
  const lmHead = plan({ batch: 1, m: 441, n: 896, k: 151936, transposeA: false, transposeB: false });
  expect([lmHead.m.block, lmHead.n.block, lmHead.split]).toEqual([128, 128, 19]);
  const longest = plan({ batch: 1, m: 150, n: 130, k: 8200, transposeA: false, transposeB: false });
  expect([longest.m.block, longest.n.block, longest.split]).toEqual([128, 128, 16]);
  expect([split(16, 300, 2100), split(300, 16, 2050), plan({ batch: 2, m: 40, n: 20, k: 1500, transposeA: false, transposeB: false }).split]).toEqual([4, 4, 2]);
});
