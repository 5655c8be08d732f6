/** GEMM tuning on webgpu: every candidate plan computes the product, and the tuner keeps the fastest it timed. */
import { describe, expect, test } from 'vitest';
import * as tf from '../../src-main/engine/backend/tf';
import { GpuUsage } from '../../src-main/engine/bench/gpu-usage';
import { encode } from '../../src-main/engine/formats/dtype';
import { FrozenMatrix } from '../../src-main/engine/ops/frozen-matrix';
import { gemm } from '../../src-main/engine/ops/gemm/gemm';
import { dequantizeNf4, NF4_CODE_VALUES, quantizeNf4 } from '../../src-main/engine/quant/nf4';
import { candidatePlans, fitsDevice, plan, planLabel, stagings, workgroupBytes } from '../../src-main/engine/ops/gemm/gemm-plan';
import { planFor, productKey, setTunedPlan, tunedPlan } from '../../src-main/engine/ops/gemm/tuned-plans';
import type { Causal, GemmShape, LowRankTerm } from '../../src-main/engine/ops/gemm/gemm';
import { GemmTuner } from '../../src-main/engine/ops/gemm/gemm-tuning';
import { gemmWebgpu } from '../../src-main/engine/ops/gemm/gemm-webgpu';
import { deviceLimits, webgpuBackend } from '../../src-main/engine/ops/webgpu-kernel';
import { causalVisible } from '../causal-visible';
import { expectClose } from '../expect-close';
import { webgpuTests } from '../webgpu-backend';


describe.runIf(webgpuTests)('GEMM tuning', () => {
  /** Runs the product with each of its candidate plans and compares with tfjs's matMul (masked where causal allows). */
  async function everyCandidate(a: tf.Tensor3D, b: tf.Tensor3D, s: GemmShape, want: tf.Tensor, extras: { lowRank?: LowRankTerm; bias?: tf.Tensor1D; causal?: Causal; mask?: tf.Tensor }) {
    // As the tuner asks for them: those whose tiles fit this device's workgroup memory (lavapipe's 32 KiB leaves
    // out causal 128 x 128 tiles with two buffers, which need 4 bytes more).
    // Each first-round candidate, and the stagings of the rule's plan and of the largest tiles split the most.
    const candidates = candidatePlans(s, extras.causal ?? null, deviceLimits());
    const plans = [...candidates, ...[candidates[0]!, candidates.at(-1)!].flatMap((p) => stagings(p, s, extras.causal ?? null, deviceLimits()).slice(1))];
    const labels = plans.map(planLabel);
    expect(new Set(labels).size).toBe(plans.length);
    for (const p of plans) {
      const got = gemmWebgpu(a, b, { lowRank: extras.lowRank ?? null, bias: extras.bias ?? null }, s, 0.5, extras.causal ?? null, p);
      await expectClose(extras.mask ? tf.mul(got, extras.mask) : got, extras.mask ? tf.mul(want, extras.mask) : want, 1e-5);
      got.dispose();
    }
    return labels;
  }

  test('every candidate plan of a LoRA layer product (rank-8 term, bias, split k) computes it', async () => {
    const [m, n, k, r] = [300, 260, 1100, 8];
    const a = tf.randomNormal([1, m, k], 0, 1, 'float32', 1) as tf.Tensor3D;
    const b = tf.randomNormal([1, n, k], 0, 1, 'float32', 2) as tf.Tensor3D;
    const left = tf.randomNormal([m, r], 0, 1, 'float32', 3) as tf.Tensor2D;
    const right = tf.randomNormal([n, r], 0, 1, 'float32', 4) as tf.Tensor2D;
    const bias = tf.randomNormal([n], 0, 1, 'float32', 5) as tf.Tensor1D;
    const want = tf.add(tf.mul(tf.add(tf.matMul(a, b, false, true), tf.mul(tf.matMul(left, right, false, true), 2)), 0.5), bias);
    const labels = await everyCandidate(a, b, { batch: 1, m, n, k, transposeA: false, transposeB: true }, want, { lowRank: { left, right, transposeRight: true, scale: 2 }, bias });
    // Seven tile shapes, each unsplit and in 2 and 4 parts of at least 256, with one buffer a side and with two;
    // then two plans' stagings: depths 8, 16 and 32, loaded along k or by rows (both operands are read along k).
    expect(labels).toHaveLength(42 + 2 * 5);
    expect(labels).toContain('16x16 in 4 parts');
    expect(labels).toContain('128x128 in 2 parts, 2 buffers');
    expect(labels).toContain('16x16 in 4 parts, 2 buffers, 32 deep, loaded by rows');
    expect(labels).toContain('16x16 in 4 parts, 2 buffers, 8 deep');
  });

  test("every candidate plan of causal attention's products computes what it must", async () => {
    const [batch, T, heads, d] = [2, 128, 3, 64];
    const rows = heads * T;
    const p = tf.mul(tf.randomNormal([batch, rows, T], 0, 1, 'float32', 1), causalVisible(rows, T)) as tf.Tensor3D; // [batch, queries, keys]
    const v = tf.randomNormal([batch, T, d], 0, 1, 'float32', 2) as tf.Tensor3D;
    const q = tf.randomNormal([batch, rows, d], 0, 1, 'float32', 3) as tf.Tensor3D;
    const half = (x: tf.Tensor) => tf.mul(x, 0.5);
    // P·V over keys; Pᵀ·dO over the stacked queries (also in parts of one head); the scores, needed up to each row's position.
    await everyCandidate(p, v, { batch, m: rows, n: d, k: T, transposeA: false, transposeB: false }, half(tf.matMul(p, v)), { causal: { part: 'kKeys', period: T } });
    const dV = await everyCandidate(p, q, { batch, m: T, n: d, k: rows, transposeA: true, transposeB: false }, half(tf.matMul(p, q, true, false)), { causal: { part: 'kQueries', period: T } });
    expect(dV).toContain('128x64 in 3 parts');
    expect(dV).toContain('128x64 in 3 parts, 2 buffers');
    // Neither operand is read along k here, so only the depth varies; 32 deep keeps parts of one head (128).
    expect(dV.filter((label) => label.includes('deep'))).toHaveLength(4);
    expect(dV.some((label) => label.includes('rows'))).toBe(false);
    await everyCandidate(q, v, { batch, m: rows, n: T, k: d, transposeA: false, transposeB: true }, half(tf.matMul(q, v, false, true)), { causal: { part: 'output', period: T }, mask: causalVisible(rows, T) });
  });

  test('the tuner times the candidates of each product watched, keeps the fastest, and the product then runs with it', async () => {
    const x = tf.randomNormal([200, 96], 0, 1, 'float32', 1);
    const w = tf.randomNormal([80, 96], 0, 1, 'float32', 2);
    const y = tf.randomNormal([96, 48], 0, 1, 'float32', 3);
    const tuner = new GemmTuner();
    await tuner.watch(async () => tf.dispose([gemm(x, w, { transposeB: true }), gemm(x, w, { transposeB: true }), gemm(x, y)]));
    const report = (await tuner.tune())!;
    // Keyed by sizes rounded up to the next 2^j or 1.5 · 2^j: 200 rows to 256, 80 columns to 96.
    expect(report.products.map((p) => [p.product, p.calls])).toEqual([
      ['1x256x96x96 Bᵀ B shared', 2],
      ['1x256x48x96 B shared', 1],
    ]);
    const shapes: GemmShape[] = [
      { batch: 1, m: 200, n: 80, k: 96, transposeA: false, transposeB: true },
      { batch: 1, m: 200, n: 48, k: 96, transposeA: false, transposeB: false },
    ];
    for (const [i, p] of report.products.entries()) {
      // The first round's candidates, then the winner's other stagings: up to three depths by two load orders (x is
      // read along k in both), less the winner's own, as far as they fit the device's workgroup memory.
      const first = candidatePlans(shapes[i]!, null, deviceLimits()).length;
      expect(p.candidates).toBeGreaterThan(first);
      expect(p.candidates).toBeLessThanOrEqual(first + 5);
      expect(p.chosenMs).toBeGreaterThan(0);
      expect(p.chosenMs).toBeLessThanOrEqual(p.ruleMs);
      expect(planLabel(tunedPlan(p.product)!)).toBe(p.chosen);
    }
    // The product now runs with the kept plan: its program is named by that tile shape.
    const usage = new GpuUsage();
    usage.start();
    const times = (await usage.programTimes(async () => {
      const c = gemm(x, w, { transposeB: true });
      await expectClose(c, tf.matMul(x, w, false, true), 1e-5);
    }))!;
    usage.stop();
    const kept = tunedPlan(report.products[0]!.product)!;
    const kernel = times.find((t) => t.kernel.startsWith('tbGemm'))!.kernel;
    expect(kernel).toContain(`_${kept.m.block}x${kept.n.block}${kept.buffers === 2 ? 'x2' : ''}_`);
    expect(kernel).toContain(`_k${kept.depth}${kept.loadOrder}`);
    // So does one of sizes that round alike (another batch's length), its k cut in as many parts for its own length.
    const alike = planFor({ shape: { ...shapes[0]!, m: 250, n: 90 }, batchedB: false, packedB: null, lowRank: null, bias: false, causal: null });
    expect(planLabel(alike)).toBe(report.products[0]!.chosen);
    // Tuned products are not tuned again, and with nothing to tune tfjs's pool of freed buffers is left alone
    // (the trainer asks after every step); a product seen in fewer than minSteps steps waits.
    const pooled = tf.add(x, 1);
    await pooled.data();
    pooled.dispose();
    const free = () => (webgpuBackend().bufferManager as unknown as { numFreeBuffers: number }).numFreeBuffers;
    const freeBefore = free();
    expect(freeBefore).toBeGreaterThan(0);
    expect((await tuner.tune())!.products).toEqual([]);
    expect(free()).toBe(freeBefore);
    const z = tf.randomNormal([96, 100], 0, 1, 'float32', 4);
    const once = () => tuner.watch(async () => gemm(x, z).dispose());
    await once();
    expect((await tuner.tune(2))!.products).toEqual([]);
    await once();
    expect((await tuner.tune(2))!.products.map((p) => p.product)).toEqual(['1x256x128x96 B shared']);
    expect(tuner.seconds).toBeGreaterThan(0);
  });

  test('products with a packed B are tuned under keys of their own, on packed operands of their layout, and then run with the plans kept', async () => {
    const x = tf.randomNormal([200, 96], 0, 1, 'float32', 1);
    const values = Float32Array.from(await tf.randomNormal([80, 96], 0, 0.02, 'float32', 2).data());
    const bf16 = FrozenMatrix.fromPacked16(encode('BF16', values), 'bf16', [80, 96]);
    const nf4 = quantizeNf4(values, [80, 96]);
    const packed = FrozenMatrix.fromNf4(nf4, NF4_CODE_VALUES);
    const tuner = new GemmTuner();
    const dy = tf.randomNormal([200, 80], 0, 1, 'float32', 3);
    await tuner.watch(async () => tf.dispose([gemm(x, bf16, { transposeB: true }), gemm(x, packed, { transposeB: true }), gemm(dy, packed)]));
    const report = (await tuner.tune())!;
    expect(report.products.map((p) => p.product)).toEqual(['1x256x96x96 Bᵀ B shared, bf16', '1x256x96x96 Bᵀ B shared, nf4', '1x256x96x96 B shared, nf4']);
    for (const p of report.products) expect(planLabel(tunedPlan(p.product)!)).toBe(p.chosen);
    await expectClose(gemm(x, packed, { transposeB: true }), tf.matMul(x, tf.tensor2d(dequantizeNf4(nf4), [80, 96]), false, true), 1e-5);
    tf.dispose([x, dy]);
    bf16.dispose();
    packed.dispose();
  });

  test('products larger than the tuner may allocate keep the rule, and are not considered again', async () => {
    const x = tf.randomNormal([40, 300], 0, 1, 'float32', 1);
    const small = tf.randomNormal([300, 20], 0, 1, 'float32', 2);
    const large = tf.randomNormal([300, 600], 0, 1, 'float32', 3);
    // x, small and their product: 4 x (40·300 + 300·20 + 40·20) bytes = 75 KB; with `large` 0.8 MB and more.
    const tuner = new GemmTuner(200_000);
    await tuner.watch(async () => tf.dispose([gemm(x, small), gemm(x, large)]));
    expect((await tuner.tune())!.products.map((p) => p.product)).toEqual(['1x48x24x384 B shared']);
    expect(tunedPlan('1x48x768x384 B shared')).toBeUndefined();
    expect((await tuner.tune())!.products).toEqual([]);
  });
});

test("a tuned plan whose partial products would not fit the device's binding limit gives way to the rule", () => {
  const s: GemmShape = { batch: 1, m: 100, n: 100, k: 5000, transposeA: false, transposeB: false };
  const product = { shape: s, batchedB: false, packedB: null, lowRank: null, bias: false, causal: null };
  const split = candidatePlans(s).find((p) => p.split === 8)!;
  const binding = (maxElements: number) => ({ maxElements, maxWorkgroupBytes: Infinity });
  expect(fitsDevice(split, s, null, binding(8 * 100 * 100))).toBe(true);
  expect(fitsDevice(split, s, null, binding(8 * 100 * 100 - 1))).toBe(false);
  setTunedPlan(productKey(product), split);
  expect(planLabel(planFor(product, binding(80_000)))).toBe(planLabel(split));
  expect(planFor(product, binding(79_999))).toEqual(plan(s));
});

test("on a device with WebGPU's minimum of 16 KiB workgroup memory, causal products take tiles smaller than 128 x 128", () => {
  const scores: GemmShape = { batch: 8, m: 3584, n: 512, k: 64, transposeA: false, transposeB: true };
  const causal = { part: 'output', period: 512 } as const;
  expect(planLabel(plan(scores, causal))).toBe('128x128');
  // 128 x 128 tiles of 16 deep are 16 KiB exactly; the causal tile count needs 4 bytes more.
  const minimum = { maxElements: Infinity, maxWorkgroupBytes: 16384 };
  expect(planLabel(plan(scores, causal, minimum))).toBe('128x64');
  expect(planLabel(plan(scores, null, minimum))).toBe('128x128');
  const candidates = candidatePlans(scores, causal, minimum);
  expect(candidates.length).toBeGreaterThan(1);
  expect(candidates.every((p) => workgroupBytes(p, causal) <= 16384)).toBe(true);
});

test('candidate plans keep whole tiles of k and cover it; the rule of thumb comes first', () => {
  const shapes: Array<[GemmShape, Causal | null]> = [
    [{ batch: 1, m: 2048, n: 896, k: 4864, transposeA: false, transposeB: false }, null],
    [{ batch: 1, m: 16, n: 896, k: 2048, transposeA: true, transposeB: false }, null],
    [{ batch: 8, m: 512, n: 64, k: 3584, transposeA: true, transposeB: false }, { part: 'kQueries', period: 512 }],
    [{ batch: 3, m: 5, n: 7, k: 9, transposeA: false, transposeB: true }, null],
  ];
  for (const [s, causal] of shapes) {
    const plans = candidatePlans(s, causal);
    expect(plans.length).toBeGreaterThan(0);
    for (const p of plans) {
      expect(p.kChunk % 16).toBe(0);
      expect(p.kChunk * p.split).toBeGreaterThanOrEqual(s.k);
      expect(p.kChunk * (p.split - 1)).toBeLessThan(s.k);
    }
  }
  // down_proj's input gradient: the rule's 128x128 in 5 parts first, then each tile shape unsplit and in 2, 4...
  // parts while parts keep 256 of k and the workgroups stay under 4,096 (64x64: 448 of them, so up to 8 parts).
  const down = candidatePlans(shapes[0]![0]).map(planLabel);
  expect(down[0]).toBe('128x128 in 5 parts');
  expect(down).toEqual(expect.arrayContaining(['128x128', '128x128 in 16 parts', '128x64 in 2 parts', '64x64 in 8 parts', '16x16']));
  expect(down).not.toContain('64x64 in 16 parts');
  expect(down).not.toContain('16x16 in 2 parts');
  // dK in parts of one head each is among the candidates.
  expect(candidatePlans(...shapes[2]!).map(planLabel)).toContain('128x64 in 7 parts');
});
