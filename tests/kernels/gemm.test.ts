/** gemm against tfjs's matMul on the same backend: on webgpu the WGSL kernel in every layout and tile shape it picks. */
import { beforeAll, describe, expect, test } from 'vitest';
import { initBackend } from '../../src-main/engine/backend/backend';
import * as tf from '../../src-main/engine/backend/tf';
import { gemm } from '../../src-main/engine/ops/gemm/gemm';
import { plan } from '../../src-main/engine/ops/gemm/gemm-plan';
import { KERNEL_BACKENDS } from './kernel-backends';
import { causalVisible } from '../causal-visible';
import { expectClose } from '../expect-close';

describe.each(KERNEL_BACKENDS)('gemm on %s', (backend) => {
  beforeAll(async () => {
    await initBackend(backend);
  });
  // [batch, m, n, k], chosen so the WGSL kernel picks each of its tile shapes (128x128, 128x64, 64x64, 64x16,
  // 16x64, 16x16) with partial tiles at the edges, reading each operand as vec4s (its contiguous dimension a
  // multiple of 4) and as scalars; with batch 3, b has batch 1 (broadcast). k of 20 or more than 16 has a
  // partial last k tile, and reading ahead crosses tiles. The last four have few workgroups and a long k, so
  // k is split into parts (4, 4 and 2 of 16 x 16 tiles, 10 of 128 x 128) summed by a second kernel, the last
  // part shorter than the others.
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
    [1, 260, 390, 5200],
  ];
  for (const [batch, m, n, k] of cases) {
    for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      test(`[${batch}, ${m}, ${n}, ${k}] transposeA=${tA} transposeB=${tB}`, async () => {
        const a = tf.randomNormal(tA ? [batch, k, m] : [batch, m, k], 0, 1, 'float32', 1);
        const bBatch = batch === 3 ? 1 : batch;
        const b = tf.randomNormal(tB ? [bBatch, n, k] : [bBatch, k, n], 0, 1, 'float32', 2);
        const bias = tf.randomNormal([n], 0, 1, 'float32', 4);
        const product = tf.matMul(a, b, tA, tB);
        await expectClose(gemm(a, b, { transposeA: tA, transposeB: tB, alpha: 0.5 }), tf.mul(product, 0.5), 1e-5);
        await expectClose(gemm(a, b, { transposeA: tA, transposeB: tB }), product, 1e-5);
        await expectClose(gemm(a, b, { transposeA: tA, transposeB: tB, bias }), tf.add(product, bias), 1e-5);
        await expectClose(gemm(a, b, { transposeA: tA, transposeB: tB, alpha: 0.5, bias }), tf.add(tf.mul(product, 0.5), bias), 1e-5);
      });
    }
  }

  // A low-rank term (LoRA's update) added in the same pass, in the two layouts the LoRA layer uses (x·Wᵀ forward,
  // dy·W backward) and with either orientation of its right factor: in 128 x 128, 64 x 64 and 16 x 16 tiles,
  // and added by the sum of split parts (16 x 16 and 128 x 128).
  const lowRankCases: Array<[number, number, number, number]> = [
    [1400, 1400, 20, 16],
    [700, 700, 20, 3],
    [300, 16, 64, 16],
    [16, 300, 2100, 5],
    [260, 390, 5200, 16],
  ];
  for (const [m, n, k, r] of lowRankCases) {
    for (const transposeB of [true, false]) {
      test(`[${m}, ${n}, ${k}] transposeB=${transposeB} plus a rank-${r} product`, async () => {
        const a = tf.randomNormal([m, k], 0, 1, 'float32', 1);
        const b = tf.randomNormal(transposeB ? [n, k] : [k, n], 0, 1, 'float32', 2);
        const left = tf.randomNormal([m, r], 0, 1, 'float32', 3) as tf.Tensor2D;
        const rightT = tf.randomNormal([n, r], 0, 1, 'float32', 4) as tf.Tensor2D; // [n, r]
        const right = tf.transpose(rightT); // [r, n]
        const bias = tf.randomNormal([n], 0, 1, 'float32', 5);
        const product = tf.matMul(a, b, false, transposeB);
        const update = tf.matMul(left, right);
        const expected = tf.add(product, tf.mul(update, 0.25));
        await expectClose(gemm(a, b, { transposeB, lowRank: { left, right: rightT, transposeRight: true, scale: 0.25 } }), expected, 1e-5);
        await expectClose(gemm(a, b, { transposeB, lowRank: { left, right, transposeRight: false, scale: 0.25 } }), expected, 1e-5);
        const all = gemm(a, b, { transposeB, alpha: 0.5, bias, lowRank: { left, right, transposeRight: false, scale: 2 } });
        await expectClose(all, tf.add(tf.mul(tf.add(product, tf.mul(update, 2)), 0.5), bias), 1e-5);
      });
    }
  }

  // Causal attention: rows are query positions in groups of T (heads stacked), the other side key positions.
  // [batch, heads x T, T, n]: 128 x 64 tiles that straddle two heads (T = 200), 16 x 16 ones, and k split in two.
  for (const [batch, rows, T, n] of [
    [8, 1400, 200, 128],
    [1, 150, 50, 32],
    [1, 2048, 1024, 16],
  ]) {
    test(`[${batch}, ${rows}, ${n}] over k = ${T} with A zero past each row's position: causal 'kKeys' skips those products`, async () => {
      const a = tf.mul(tf.randomNormal([batch, rows, T], 0, 1, 'float32', 1), causalVisible(rows, T)); // like attention probabilities
      const b = tf.randomNormal([batch, T, n], 0, 1, 'float32', 2);
      await expectClose(gemm(a, b, { causal: { part: 'kKeys', period: T } }), tf.matMul(a, b), 1e-5);
    });
  }
  // [batch, T keys, n] over heads x T stacked queries, A (stored [queries, keys]) zero where the key is past the
  // query: Qwen2.5-0.5B's dK and dV and a longer sequence (split in parts of one head each, so each head's first
  // queries are skipped), parts that straddle heads (T = 200), and one part over several heads (T = 128): both
  // walk every query.
  for (const [batch, T, heads, n] of [
    [2, 512, 7, 64],
    [1, 1024, 2, 64],
    [8, 200, 7, 64],
    [8, 128, 4, 64],
  ]) {
    test(`[${batch}, ${T}, ${n}] over ${heads} x ${T} queries, zero where the key is past the query: causal 'kQueries'`, async () => {
      const a = tf.mul(tf.randomNormal([batch, heads * T, T], 0, 1, 'float32', 1), causalVisible(heads * T, T)); // [batch, queries, keys]
      const b = tf.randomNormal([batch, heads * T, n], 0, 1, 'float32', 2);
      await expectClose(gemm(a, b, { transposeA: true, causal: { part: 'kQueries', period: T } }), tf.matMul(a, b, true, false), 1e-5);
    });
  }
  // [batch, heads x T, T] scores over k = 64: 64 x 16 tiles, and 128 x 128 ones.
  for (const [batch, rows, T] of [
    [2, 600, 300],
    [4, 1024, 512],
  ]) {
    test(`[${batch}, ${rows}, ${T}] scores: causal 'output' gives every entry up to each row's position`, async () => {
      const q = tf.randomNormal([batch, rows, 64], 0, 1, 'float32', 1);
      const k = tf.randomNormal([batch, T, 64], 0, 1, 'float32', 2);
      const got = gemm(q, k, { transposeB: true, alpha: 0.125, causal: { part: 'output', period: T } });
      const want = tf.mul(tf.matMul(q, k, false, true), 0.125);
      const mask = causalVisible(rows, T);
      await expectClose(tf.mul(got, mask), tf.mul(want, mask), 1e-5);
      // Past a row's position an entry is the product or, in a tile wholly past it, 0: the first row's last key.
      const past = Array.from(await got.data());
      expect(past.every(Number.isFinite)).toBe(true);
      if (backend === 'webgpu') expect(past[T - 1]).toBe(0);
    });
  }

  test('rank-2 operands and shape errors', async () => {
    const a = tf.randomNormal([5, 4], 0, 1, 'float32', 4);
    const b = tf.randomNormal([6, 4], 0, 1, 'float32', 5);
    await expectClose(gemm(a, b, { transposeB: true }), tf.matMul(a, b, false, true), 1e-5);
    expect(() => gemm(a, b)).toThrow(/cannot multiply \[5,4\] by \[6,4\]/);
    expect(() => gemm(a, b.expandDims(0))).toThrow(/same rank/);
    expect(() => gemm(a, b, { transposeB: true, bias: tf.zeros([5]) })).toThrow(/the bias must be \[6\], got \[5\]/);
    const lowRank = { left: tf.zeros([5, 2]) as tf.Tensor2D, right: tf.zeros([2, 6]) as tf.Tensor2D, transposeRight: true, scale: 1 };
    expect(() => gemm(a, b, { transposeB: true, lowRank })).toThrow(/must be \[5, r\] by \[6, r\], got \[5,2\] by \[2,6\]/);
    expect(() => gemm(a, b, { transposeB: true, causal: { part: 'output', period: 5 } })).toThrow(/a causal 'output' product over 5 positions cannot be \[5, 6\] over k = 4/);
    expect(() => gemm(tf.zeros([4, 5]), b, { transposeA: true, transposeB: true, causal: { part: 'kKeys', period: 4 } })).toThrow(/a causal 'kKeys' product over 4 positions cannot be \[5, 6\] over k = 4/);
    // Right-shaped factors, but a batch of two products.
    expect(() => gemm(tf.stack([a, a]), b.expandDims(0), { transposeB: true, lowRank: { ...lowRank, transposeRight: false } })).toThrow(/low-rank term for a \[2, 5, 6\] product/);
  });
});

test('the WGSL kernel picks the largest tiles that fill the GPU once k is split, and splits only where workgroups are few', () => {
  const shape = (batch: number, m: number, n: number, k: number, transposeA = false) => {
    const p = plan({ batch, m, n, k, transposeA, transposeB: false });
    return `${p.m.block}x${p.n.block} in ${p.split}`;
  };
  // Qwen2.5-0.5B at 2,048 tokens. The projections with workgroups to spare or a short k run in one part ...
  expect(shape(1, 2048, 896, 896)).toBe('128x64 in 1');
  expect(shape(1, 2048, 4864, 896)).toBe('128x128 in 1');
  expect(shape(1, 2048, 128, 896)).toBe('64x16 in 1');
  // ... down_proj's input gradient 2048 x 896 over 4864 is split, in the largest tiles.
  expect(shape(1, 2048, 896, 4864)).toBe('128x128 in 5');
  // LoRA: dA [16, 896] and dB [896, 16] over the tokens; up_proj's dB [4864, 16]; (x·Aᵀ) for down_proj over 4864.
  expect(shape(1, 16, 896, 2048)).toBe('16x16 in 4');
  expect(shape(1, 896, 16, 2048)).toBe('16x16 in 4');
  expect(shape(1, 4864, 16, 2048)).toBe('64x16 in 4');
  expect(shape(1, 2048, 16, 4864)).toBe('64x16 in 9');
  // Attention's dK = dSᵀ·Q per KV head: [512, 64] over 7 heads x 512 positions.
  expect(shape(8, 512, 64, 3584, true)).toBe('128x64 in 7');
  // dK and dV with causal 'kQueries' run in parts of one head each: at 1,024 tokens (Qwen, batch 1) 7 parts,
  // where the plain plan would cut k into 14 parts across heads; heads too short for a part keep the plain plan.
  const kQueries = (T: number) => ({ part: 'kQueries', period: T }) as const;
  const dK = (T: number, heads: number) => plan({ batch: 2, m: T, n: 64, k: heads * T, transposeA: true, transposeB: false }, kQueries(T));
  expect([dK(1024, 7).split, dK(1024, 7).kChunk, shape(2, 1024, 64, 7 * 1024, true)]).toEqual([7, 1024, '128x64 in 14']);
  expect([dK(512, 7).split, dK(512, 7).kChunk]).toEqual([7, 512]);
  expect(dK(64, 7).split).toBe(plan({ batch: 2, m: 64, n: 64, k: 7 * 64, transposeA: true, transposeB: false }).split);
  // The LM head's input gradient for a chunk of 441 rows, summed over the vocabulary.
  expect(shape(1, 441, 896, 151936)).toBe('128x128 in 19');
  // The cases above that the kernel tests run split.
  expect([shape(1, 16, 300, 2100), shape(1, 300, 16, 2050), shape(2, 40, 20, 1500), shape(1, 260, 390, 5200)]).toEqual(['16x16 in 4', '16x16 in 4', '16x16 in 2', '128x128 in 10']);
});
