/** GPU memory bookkeeping: the pool given back between jobs (tensors in use kept), and the peak of tensors in use. */
import { describe, expect, test } from 'vitest';
import { releasePooledMemory } from '../../src-main/engine/backend/buffer-pool';
import { GpuUsage } from '../../src-main/engine/bench/gpu-usage';
import * as tf from '../../src-main/engine/backend/tf';
import { webgpuTests } from '../webgpu-backend';

const allocated = () => (tf.memory() as tf.MemoryInfo & { numBytesAllocatedInGPU: number }).numBytesAllocatedInGPU;

describe.runIf(webgpuTests)('releasePooledMemory on webgpu', () => {
  test('destroys pooled buffers, keeps live tensors, and the pool works afterwards', async () => {
    const kept = tf.fill([1000], 3);
    const job = tf.tidy(() => tf.add(tf.ones([256, 1024]), tf.ones([256, 1024])).sum());
    expect(await job.data()).toEqual(new Float32Array([2 * 256 * 1024]));
    job.dispose();
    await tf.ones([1]).data(); // a submit, so the job's buffers reach the pool
    const before = allocated();
    const released = releasePooledMemory();
    expect(released).toBeGreaterThanOrEqual(3 * 256 * 1024 * 4);
    expect(allocated()).toBe(before - released);
    expect(Array.from(await kept.data()).every((v) => v === 3)).toBe(true);
    const again = tf.tidy(() => tf.mul(tf.ones([256, 1024]), 2).sum());
    expect(await again.data()).toEqual(new Float32Array([2 * 256 * 1024]));
  });
});

describe.runIf(webgpuTests)('releasePooledMemory of chosen sizes', () => {
  test('gives back pooled buffers of the sizes it is asked for and keeps the others', async () => {
    releasePooledMemory();
    // Products of ops, so they live on the GPU (tfjs keeps a filled tensor on the CPU until an op needs it).
    const big = tf.tidy(() => tf.add(tf.ones([1024, 1024]), 1)); // 4 MiB
    const small = tf.tidy(() => tf.add(tf.ones([64, 64]), 1)); // 16 KiB
    await Promise.all([big.data(), small.data()]);
    tf.dispose([big, small]);
    await tf.ones([1]).data(); // a submit, so both buffers reach the pool
    // The big tensors' buffers (the filled input, the sum, the read-back's staging buffer): 4 MiB each.
    const released = releasePooledMemory((bytes) => bytes === 4 * 1024 * 1024);
    expect(released).toBeGreaterThanOrEqual(4 * 1024 * 1024);
    expect(released % (4 * 1024 * 1024)).toBe(0);
    // The small ones stayed in the pool until now.
    const rest = releasePooledMemory();
    expect(rest).toBeGreaterThanOrEqual(64 * 64 * 4);
    expect(rest).toBeLessThan(1024 * 1024);
  });
});

describe.runIf(webgpuTests)('GpuUsage on webgpu', () => {
  test('sees a peak that is gone by the time it stops, and counts the pool in what was allocated', async () => {
    releasePooledMemory();
    const usage = new GpuUsage();
    usage.start();
    const big = tf.ones([1024, 1024]); // 4 MiB
    const sum = tf.sum(big);
    await sum.data();
    tf.dispose([big, sum]);
    await tf.ones([1]).data();
    // The 4 MiB buffer is back in the pool: allocated still, in use no longer. Another of the same size reuses it.
    const again = tf.ones([1024, 1024]);
    await again.data();
    again.dispose();
    const seen = usage.stop()!;
    expect(seen.used).toBeGreaterThanOrEqual(4 * 1024 * 1024);
    expect(seen.used).toBeLessThan(2 * 4 * 1024 * 1024);
    expect(seen.allocated).toBeGreaterThanOrEqual(seen.used);
    expect(seen.allocated).toBeLessThan(2 * 4 * 1024 * 1024);
    expect(usage.stop()).toBeNull();
  });
});
