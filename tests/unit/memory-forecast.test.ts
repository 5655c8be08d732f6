/**
 * The memory forecast (engine/forecast) against what a step really holds: `bench`'s tensor peak on wasm for the
 * cheap configurations of the README's table (the webgpu ones run in tests/webgpu/memory-forecast.test.ts), and
 * the plan's verdict and fixes on the demo model.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { initBackend } from '../../src-main/engine/backend/backend';
import { runBenchmark, type BenchOptions } from '../../src-main/engine/bench/benchmark';
import { planModelOf } from '../../src-main/engine/forecast/plan-model';
import { planRun, type PlanInput, type PlanSettings } from '../../src-main/engine/forecast/run-plan';
import type { BackendReport } from '../../src-main/protocol/engine-types';
import { FORECAST_TERMS } from '../../src-main/protocol/run-plan';
import { forecastCases, type ForecastCase } from '../forecast-cases';

let backend: BackendReport;
beforeAll(async () => {
  backend = await initBackend('wasm');
});

async function measured(c: ForecastCase): Promise<{ forecast: number; measured: number }> {
  const options: BenchOptions = { ...c.bench, steps: 1, warmup: 1, rank: 16, profile: false, cpuProfile: null, tune: false };
  const r = await runBenchmark(options, backend);
  return { forecast: r.forecast.tensorPeak, measured: r.peakTensorBytes };
}

describe('the forecast of a step on wasm is within 10% of the tensors it holds at their peak', () => {
  test.each(forecastCases('wasm'))('$name', async (c) => {
    const { forecast, measured: peak } = await measured(c);
    console.log(`${c.name}: forecast ${forecast} B, measured ${peak} B (${((100 * forecast) / peak).toFixed(1)}%)`);
    expect(forecast / peak).toBeGreaterThan(0.9);
    expect(forecast / peak).toBeLessThan(1.1);
  });
});

describe('the plan of a config', () => {
  const settings: PlanSettings = {
    lora_rank: 16,
    lora_target: 'all',
    per_device_train_batch_size: 8,
    gradient_accumulation_steps: 1,
    cutoff_len: 512,
    quantization_bit: null,
    gradient_checkpointing: false,
    num_train_epochs: 1,
    max_steps: 10,
  };
  const data = { examples: 80, maxTokens: 400, meanTokens: 120, longerThan: [[256, 5] as const, [128, 30] as const] };
  const input = async (memory: number, on: PlanInput['backend'] = 'webgpu'): Promise<PlanInput> => ({
    model: await planModelOf('resources/demo-model'),
    settings,
    backend: on,
    device: { bytes: memory, source: 'user' },
    data,
    speed: { tokensPerSecond: 960, source: 'probe' },
  });

  test('names every term, and fits a device with room to spare, without fixes; the time is steps x tokens / speed', async () => {
    const plan = planRun(await input(8e9));
    expect(Object.keys(plan.memory.terms)).toEqual([...FORECAST_TERMS]);
    expect(plan.memory.total).toBe(Object.values(plan.memory.terms).reduce((a, b) => a + b, 0));
    expect(plan.verdict).toBe('fits');
    expect(plan.fixes).toEqual([]);
    // Batches are padded to the longest example within the cutoff.
    expect(plan.seq).toBe(400);
    expect(plan.time).toMatchObject({ steps: 10, tokensPerStep: 8 * 120, seconds: 10 });
  });

  test('a device too small gets fixes in a practitioner\'s order, each smaller than the config and each with its own forecast', async () => {
    const full = planRun(await input(8e9)).memory.total;
    const plan = planRun(await input(full * 0.6));
    expect(plan.verdict).toBe('will-not-fit');
    expect(plan.fixes.map((f) => f.kind)).toEqual(['4-bit', 'gradient-checkpointing', 'smaller-batch', 'shorter-cutoff', 'lower-rank']);
    for (const f of plan.fixes) expect(f.memory.total).toBeLessThan(full);
    const batch = plan.fixes.find((f) => f.kind === 'smaller-batch')!;
    const { per_device_train_batch_size: b, gradient_accumulation_steps: a } = batch.changes;
    // The same effective batch, so the run's steps see the same examples.
    expect(b! * a!).toBe(8);
    const cutoff = plan.fixes.find((f) => f.kind === 'shorter-cutoff')!;
    expect(cutoff.truncates).toBe(cutoff.changes.cutoff_len === 256 ? 5 : cutoff.changes.cutoff_len === 128 ? 30 : null);
    // A rank changes the adapter's shape: not something a checkpoint can resume with.
    expect(plan.fixes.map((f) => f.resumable)).toEqual([true, true, true, true, false]);
    expect(plan.fixes.some((f) => f.verdict === 'fits')).toBe(true);
  });

  test('when no fix fits alone, they are offered together', async () => {
    const smallest = Math.min(...planRun(await input(1e6)).fixes.filter((f) => f.kind !== 'together').map((f) => f.memory.total));
    const plan = planRun(await input(smallest * 0.97));
    expect(plan.fixes.filter((f) => f.kind !== 'together').every((f) => f.verdict !== 'fits')).toBe(true);
    const together = plan.fixes.find((f) => f.kind === 'together')!;
    expect(Object.keys(together.changes).length).toBeGreaterThan(1);
    expect(together.memory.total).toBeLessThan(smallest);
  });

  test('on wasm the weights are widened to float32 whatever their storage: 4-bit saves nothing and is not offered', async () => {
    const full = planRun(await input(8e9, 'wasm')).memory.total;
    const plan = planRun(await input(full * 0.6, 'wasm'));
    expect(plan.fixes.map((f) => f.kind)).not.toContain('4-bit');
    expect(plan.fixes.length).toBeGreaterThan(0);
  });
});
