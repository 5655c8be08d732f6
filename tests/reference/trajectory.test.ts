import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { SafetensorsFile } from '../../src-main/engine/formats/safetensors';
import { readMetrics } from '../../src-main/engine/train/run-files';
import { json, runCli } from '../cli/run-cli';
import { CASES, fixturePath, maxAbs, maxAbsDiff, readJson, relDiff } from '../fixtures';
import { trajectoryConfig } from '../trajectory-config';

async function readTensors(path: string): Promise<Map<string, Float32Array>> {
  const f = await SafetensorsFile.open(path);
  const out = new Map<string, Float32Array>();
  for (const name of f.tensors.keys()) out.set(name, (await f.read(name)) as Float32Array);
  await f.close();
  return out;
}

describe.each(CASES)('tuneboard train reproduces trajectory.json (%s, wasm)', (c) => {
  const out = join(mkdtempSync(join(tmpdir(), 'tb-run-')), 'run');

  test('loss, lr, grad_norm and tokens step by step; adapter_final', async () => {
    const result = json(await runCli(['train', trajectoryConfig(c, out), '--backend', 'wasm', '--json']));
    expect(result).toMatchObject({ status: 'completed', steps: 12 });
    const metrics = await readMetrics(out);
    const expected = readJson(c, 'trajectory.json').steps as Array<{ step: number; loss: number; grad_norm: number; lr: number; tokens: number }>;
    expect(metrics.map((m) => m.step)).toEqual(expected.map((e) => e.step));
    for (const [i, e] of expected.entries()) {
      const m = metrics[i]!;
      expect(relDiff(m.loss, e.loss), `step ${e.step} loss`).toBeLessThan(1e-3);
      expect(relDiff(m.grad_norm, e.grad_norm), `step ${e.step} grad_norm`).toBeLessThan(1e-3);
      expect(Math.abs(m.lr - e.lr), `step ${e.step} lr`).toBeLessThanOrEqual(1e-3 * Math.abs(e.lr));
      expect(m.tokens).toBe(e.tokens);
    }
    const got = await readTensors(join(out, 'adapter_model.safetensors'));
    const want = await readTensors(fixturePath(c, 'adapter_final', 'adapter_model.safetensors'));
    expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [key, w] of want) expect(maxAbsDiff(got.get(key)!, w) / maxAbs(w), key).toBeLessThan(1e-3);
    // The adapter config is PEFT's, with the continued adapter's rank, alpha, targets and scaling.
    const cfg = JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8'));
    const ref = JSON.parse(readFileSync(fixturePath(c, 'adapter_init', 'adapter_config.json'), 'utf8'));
    expect(cfg).toMatchObject({ peft_type: 'LORA', task_type: 'CAUSAL_LM', r: ref.r, lora_alpha: ref.lora_alpha, use_rslora: ref.use_rslora });
    expect([...cfg.target_modules].sort()).toEqual([...ref.target_modules].sort());
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    expect(run).toMatchObject({ status: 'completed', backend: 'wasm', steps_done: 12, total_steps: 12 });
    expect(run.versions.tfjs).toBeTruthy();
  });

  test('the adapter it wrote loads back with the numbers of adapter_final', async () => {
    const args = (adapter: string) => ['eval', '--model', fixturePath(c, 'model'), '--adapter', adapter, '--dataset', fixturePath('dataset_alpaca.json'), '--cutoff-len', '64', '--backend', 'wasm', '--json'];
    const ours = json(await runCli(args(out)));
    const reference = json(await runCli(args(fixturePath(c, 'adapter_final'))));
    expect(ours.tokens).toBe(reference.tokens);
    expect(relDiff(ours.loss, reference.loss)).toBeLessThan(1e-4);
  });
});
