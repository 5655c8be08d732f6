/** bench --profile on webgpu: every GPU program timed on the GPU (timestamp queries), named by key and operands. */
import { describe, expect, test } from 'vitest';
import * as tf from '../../src-main/engine/backend/tf';
import { GpuUsage } from '../../src-main/engine/bench/gpu-usage';
import { gemm } from '../../src-main/engine/ops/gemm/gemm';
import { webgpuTests } from '../webgpu-backend';

describe.runIf(webgpuTests)('GpuUsage.programTimes', () => {
  test('times our programs and tfjs kernels by label, counts calls, and stops timing afterwards', async () => {
    const usage = new GpuUsage();
    usage.start();
    const big = tf.tidy(() => tf.add(tf.randomUniform([512, 512]), 0));
    const small = tf.tidy(() => tf.add(tf.randomUniform([8, 8]), 0));
    await Promise.all([big.data(), small.data()]);
    const times = (await usage.programTimes(async () => {
      const products = [gemm(big, big), gemm(big, big), gemm(small, small)];
      const summed = tf.add(products[0]!, products[1]!);
      await summed.data();
      tf.dispose([...products, summed]);
    }))!;
    const bigGemm = times.find((t) => t.kernel.startsWith('tbGemm') && t.kernel.includes('(1x512x512, 1x512x512) → 1x512x512'));
    const smallGemm = times.find((t) => t.kernel.startsWith('tbGemm') && t.kernel.includes('(1x8x8, 1x8x8) → 1x8x8'));
    const add = times.find((t) => t.kernel.startsWith('BinaryOpProgram'));
    expect(bigGemm?.calls).toBe(2);
    expect(smallGemm?.calls).toBe(1);
    expect(add?.calls).toBe(1);
    // 2 x 512³ multiply-adds against 8³: the GPU's clock sees the difference whatever the device.
    expect(bigGemm!.ms).toBeGreaterThan(10 * smallGemm!.ms);
    expect(times.map((t) => t.ms)).toEqual([...times.map((t) => t.ms)].sort((a, b) => b - a));
    // Timing is off again: later programs run in tfjs's batches, and their results are right.
    const check = gemm(tf.ones([4, 4]), tf.ones([4, 4]));
    expect(Array.from(await check.data())).toEqual(new Array(16).fill(4));
    expect(usage.stop()).not.toBeNull();
    tf.dispose([big, small, check]);
  });

  test('gives null when not watching', async () => {
    expect(await new GpuUsage().programTimes(async () => undefined)).toBeNull();
  });
});
