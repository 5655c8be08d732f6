/**
 * The reference checks shared by the per-backend reference tests (tests/reference on wasm/cpu, tests/webgpu):
 * the fixture batch's logits and loss, with and without adapter_random, and a training run against trajectory.json.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import * as tf from '../src-main/engine/backend/tf';
import type { BackendName } from '../src-main/engine/backend/backend';
import { SafetensorsFile } from '../src-main/engine/formats/safetensors';
import { readAdapter } from '../src-main/engine/lora/adapter-files';
import { LoraAdapter } from '../src-main/engine/lora/lora-adapter';
import type { CausalLM } from '../src-main/engine/model/causal-lm';
import { LINEAR_LAYERS } from '../src-main/engine/model/model-layout';
import { causalLmLossSum } from '../src-main/engine/model/loss';
import { AdamW } from '../src-main/engine/train/adamw';
import { readMetrics } from '../src-main/engine/train/run-files';
import { json, runCli } from './cli/run-cli';
import { fixturePath, maxAbs, maxAbsDiff, readJson, relDiff, type Case, type readReference } from './fixtures';
import { trajectoryConfig } from './trajectory-config';

export type Reference = Awaited<ReturnType<typeof readReference>>;

/** Largest absolute difference of the logits; relative difference of the mean loss. */
export const LOGITS_TOLERANCE = 2e-4;
export const LOSS_TOLERANCE = 1e-4;
/** Relative to the largest magnitude, per LoRA tensor: gradients and the weights after one AdamW step. */
export const GRADIENT_TOLERANCE = 1e-4;
/** Relative, per step (loss, grad_norm, lr) and per adapter tensor after training. */
export const TRAJECTORY_TOLERANCE = 1e-3;

/** The fixture batch (batch.input_ids, attention_mask, labels); the caller disposes `ids`. */
export function fixtureBatch(ref: Reference) {
  const ids = ref.get('batch.input_ids')!;
  return {
    ids: tf.tensor2d(ids.values, ids.shape as [number, number], 'int32'),
    keyMask: ref.get('batch.attention_mask')!.values,
    labels: ref.get('batch.labels')!.values,
  };
}

/** Attaches one of the fixture's adapters (adapter_random, adapter_init, ...) with its stored weights. */
export async function attachFixtureAdapter(model: CausalLM, c: Case, name: string) {
  const { config, tensors } = await readAdapter(fixturePath(c, name), LINEAR_LAYERS);
  return { adapter: LoraAdapter.attach(model, config, { kind: 'weights', tensors }), tensors };
}

/** The model's logits and mean loss on the fixture batch equal `<which>.logits` and `<which>.loss` (base: no adapter; lora: adapter_random). */
export async function expectLogitsAndLoss(model: CausalLM, c: Case, ref: Reference, which: 'base' | 'lora'): Promise<void> {
  const { ids, keyMask, labels } = fixtureBatch(ref);
  const logits = model.forward(ids, { keyMask });
  const { sum, tokens } = causalLmLossSum(model, ids, labels, { keyMask });
  try {
    expect(maxAbsDiff(await logits.data(), ref.get(`${which}.logits`)!.values), `${which}.logits`).toBeLessThan(LOGITS_TOLERANCE);
    const expected = readJson(c, 'reference.json');
    expect(tokens).toBe(expected['batch.tokens']);
    expect(relDiff((await sum.data())[0]! / tokens, expected[`${which}.loss`]), `${which}.loss`).toBeLessThan(LOSS_TOLERANCE);
  } finally {
    tf.dispose([ids, logits, sum]);
  }
}

/**
 * With adapter_random attached: the gradients of the mean loss equal `grad.<key>` and one AdamW step from them
 * gives `step1.<key>`. The step changes the adapter's weights.
 */
export async function expectGradientsAndAdamWStep(model: CausalLM, adapter: LoraAdapter, ref: Reference, recomputeLayers: boolean): Promise<void> {
  const { ids, keyMask, labels } = fixtureBatch(ref);
  const params = adapter.parameters();
  expect(params.length).toBe([...ref.keys()].filter((k) => k.startsWith('grad.')).length);
  const { value, grads } = tf.variableGrads(() => {
    const { sum, tokens } = causalLmLossSum(model, ids, labels, { keyMask, recomputeLayers });
    return sum.div(tokens) as tf.Scalar;
  }, params.map((p) => p.variable));
  const optimizer = new AdamW(params, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 });
  try {
    for (const p of params) {
      const want = ref.get(`grad.${p.key}`)!.values;
      const got = await grads[p.variable.name]!.data();
      expect(maxAbsDiff(got, want) / maxAbs(want), `grad.${p.key}`).toBeLessThan(GRADIENT_TOLERANCE);
    }
    optimizer.apply(grads, 1e-3);
    for (const p of params) {
      const want = ref.get(`step1.${p.key}`)!.values;
      expect(maxAbsDiff(await p.variable.data(), want) / maxAbs(want), `step1.${p.key}`).toBeLessThan(GRADIENT_TOLERANCE);
    }
  } finally {
    optimizer.dispose();
    tf.dispose([ids, value, ...Object.values(grads)]);
  }
}

export async function readTensors(path: string): Promise<Map<string, Float32Array>> {
  const f = await SafetensorsFile.open(path);
  const out = new Map<string, Float32Array>();
  for (const name of f.tensors.keys()) out.set(name, (await f.read(name)) as Float32Array);
  await f.close();
  return out;
}

/**
 * Runs `tuneboard train` with the fixture's training_args from adapter_init into `out` and checks loss, lr,
 * grad_norm and tokens step by step against trajectory.json, the adapter it wrote against adapter_final, its
 * adapter_config.json and run.json.
 */
export async function expectTrainingTrajectory(c: Case, backend: BackendName, out: string, env: Record<string, string> = {}): Promise<void> {
  const result = json(await runCli(['train', trajectoryConfig(c, out), '--backend', backend, '--json'], { env }));
  expect(result).toMatchObject({ status: 'completed', steps: 12 });
  const metrics = await readMetrics(out);
  const expected = readJson(c, 'trajectory.json').steps as Array<{ step: number; loss: number; grad_norm: number; lr: number; tokens: number }>;
  expect(metrics.map((m) => m.step)).toEqual(expected.map((e) => e.step));
  for (const [i, e] of expected.entries()) {
    const m = metrics[i]!;
    expect(relDiff(m.loss, e.loss), `step ${e.step} loss`).toBeLessThan(TRAJECTORY_TOLERANCE);
    expect(relDiff(m.grad_norm, e.grad_norm), `step ${e.step} grad_norm`).toBeLessThan(TRAJECTORY_TOLERANCE);
    expect(Math.abs(m.lr - e.lr), `step ${e.step} lr`).toBeLessThanOrEqual(TRAJECTORY_TOLERANCE * Math.abs(e.lr));
    expect(m.tokens).toBe(e.tokens);
  }
  const got = await readTensors(join(out, 'adapter_model.safetensors'));
  const want = await readTensors(fixturePath(c, 'adapter_final', 'adapter_model.safetensors'));
  expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
  for (const [key, w] of want) expect(maxAbsDiff(got.get(key)!, w) / maxAbs(w), key).toBeLessThan(TRAJECTORY_TOLERANCE);
  // The adapter config is PEFT's, with the continued adapter's rank, alpha, targets and scaling.
  const cfg = JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8'));
  const ref = JSON.parse(readFileSync(fixturePath(c, 'adapter_init', 'adapter_config.json'), 'utf8'));
  expect(cfg).toMatchObject({ peft_type: 'LORA', task_type: 'CAUSAL_LM', r: ref.r, lora_alpha: ref.lora_alpha, use_rslora: ref.use_rslora });
  expect([...cfg.target_modules].sort()).toEqual([...ref.target_modules].sort());
  const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
  expect(run).toMatchObject({ status: 'completed', backend, steps_done: 12, total_steps: 12 });
  expect(run.versions.tfjs).toBeTruthy();
}
