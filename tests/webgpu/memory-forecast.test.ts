/** The memory forecast on webgpu against `bench`'s tensor peak (tfjs's buffers in use), for the cheap configurations of the README's table. */
import { describe, expect, test } from 'vitest';
import { initBackend } from '../../src-main/engine/backend/backend';
import { runBenchmark } from '../../src-main/engine/bench/benchmark';
import { forecastCases } from '../forecast-cases';
import { webgpuTests } from '../webgpu-backend';

describe.runIf(webgpuTests)('the forecast of a step on webgpu is within 10% of the tensors it holds at their peak', () => {
  test.each(forecastCases('webgpu'))('$name', async (c) => {
    const backend = await initBackend('webgpu');
    const r = await runBenchmark({ ...c.bench, steps: 1, warmup: 1, rank: 16, profile: false, cpuProfile: null, tune: false }, backend);
    const ratio = r.forecast.tensorPeak / r.peakTensorBytes;
    console.log(`${c.name}: forecast ${r.forecast.tensorPeak} B, measured ${r.peakTensorBytes} B (${(100 * ratio).toFixed(1)}%); with the pool ${r.forecast.total} B, measured ${r.peakAllocatedBytes} B`);
    expect(ratio).toBeGreaterThan(0.9);
    expect(ratio).toBeLessThan(1.1);
  });
});
