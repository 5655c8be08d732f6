/**
 * The reference numbers on the webgpu backend, within the tolerances of the wasm/cpu reference tests
 * (tests/reference): base and LoRA logits and loss, LoRA gradients and one AdamW step of both fixture models, and
 * one fixture's training trajectory, with the weights kept as webgpu keeps them by default (16-bit ones packed).
 * In CI (no GPU) this runs on lavapipe, Mesa's software Vulkan: slow, so it checks a subset of what those tests
 * check.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { LoraAdapter } from '../../src-main/engine/lora/lora-adapter';
import { loadModel, type LoadedModel } from '../../src-main/engine/model/load-model';
import { TUNED_PLANS_FILE } from '../../src-main/engine/ops/gemm/tuned-plan-store';
import { CASES, fixturePath, readReference } from '../fixtures';
import { attachFixtureAdapter, expectGradientsAndAdamWStep, expectLogitsAndLoss, expectTrainingTrajectory, type Reference } from '../reference-checks';
import { webgpuTests } from '../webgpu-backend';

describe.runIf(webgpuTests)('reference numbers on webgpu', () => {
  describe.each(CASES)('%s', (c) => {
    let loaded: LoadedModel;
    let ref: Reference;
    beforeAll(async () => {
      loaded = await loadModel(fixturePath(c, 'model'));
      ref = await readReference(c);
    });
    afterAll(() => loaded.dispose());

    test('logits equal base.logits and the loss equals base.loss, with the weights kept as stored (tiny-qwen2 in bf16)', async () => {
      expect(loaded.model.embedTokens.format).toBe(c === 'tiny-qwen2' ? 'bf16' : 'float32');
      await expectLogitsAndLoss(loaded.model, c, ref, 'base');
    });

    /** Runs `check` with a fresh copy of adapter_random attached. */
    async function withAdapterRandom(check: (adapter: LoraAdapter) => Promise<void>): Promise<void> {
      const { adapter } = await attachFixtureAdapter(loaded.model, c, 'adapter_random');
      try {
        await check(adapter);
      } finally {
        adapter.detach();
      }
    }

    test('with adapter_random: logits equal lora.logits and the loss equals lora.loss', async () => {
      await withAdapterRandom(() => expectLogitsAndLoss(loaded.model, c, ref, 'lora'));
    });

    test('with adapter_random: gradients equal grad.<key> and one AdamW step gives step1.<key>', async () => {
      await withAdapterRandom((adapter) => expectGradientsAndAdamWStep(loaded.model, adapter, ref, false));
    });
  });

  test('tuneboard train --backend webgpu reproduces trajectory.json (tiny-llama), its matrix products tuned, and again with those plans', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'tb-cache-'));
    const run = async () => {
      const out = join(mkdtempSync(join(tmpdir(), 'tb-run-')), 'run');
      await expectTrainingTrajectory('tiny-llama', 'webgpu', out, { TUNEBOARD_CACHE_DIR: cache });
      const log = readFileSync(join(out, 'train.log'), 'utf8');
      const [gpu] = Object.values(JSON.parse(readFileSync(join(cache, TUNED_PLANS_FILE), 'utf8')).adapters) as Array<{ plans: Record<string, unknown> }>;
      const count = (pattern: RegExp) => [...log.matchAll(pattern)].reduce((n, m) => n + Number(m[1]), 0);
      const tuned = count(/info: tuned (\d+) matrix products for this GPU in/g);
      // Each tuning is announced as it starts (it may take a minute with no step done).
      expect(count(/info: tuning (\d+) matrix products for this GPU \(once/g)).toBe(tuned);
      return { log, plans: gpu!.plans, tuned };
    };
    const first = await run();
    expect(first.tuned).toBeGreaterThan(0);
    expect(Object.keys(first.plans)).toHaveLength(first.tuned);
    // The next run starts with them: none is tuned again (later steps may tune products the first run's time budget left).
    const second = await run();
    expect(second.log).toContain(`info: ${first.tuned} matrix-product plans tuned for this GPU by an earlier run, from ${join(cache, TUNED_PLANS_FILE)}`);
    expect(second.plans).toMatchObject(first.plans);
    expect(Object.keys(second.plans)).toHaveLength(first.tuned + second.tuned);
  });
});
