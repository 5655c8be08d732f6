/**
 * Checks of how base weights are kept (load-model.ts's WeightStorage), shared by the wasm and webgpu tests: a
 * model in one storage gives the numbers of the same model in another.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { BackendName } from '../src-main/engine/backend/backend';
import * as tf from '../src-main/engine/backend/tf';
import type { LoadedModel } from '../src-main/engine/model/load-model';
import { causalLmLossSum } from '../src-main/engine/model/loss';
import { readMetrics } from '../src-main/engine/train/run-files';
import { json, runCli } from './cli/run-cli';
import { maxAbs, maxAbsDiff, relDiff } from './fixtures';
import { fixtureBatch, readTensors, type Reference } from './reference-checks';
import { trajectoryConfig } from './trajectory-config';

/** The largest absolute difference of logits between two storages of the same numbers (accumulation order aside). */
export const STORAGE_LOGITS_TOLERANCE = 1e-5;
/** Relative, per step (loss, grad_norm) and per adapter tensor after training. */
export const STORAGE_TRAJECTORY_TOLERANCE = 1e-5;

/** `model` and `same` give the same logits (1e-5) and loss on the fixture batch of `ref`. */
export async function expectSameLogits(model: LoadedModel, same: LoadedModel, ref: Reference): Promise<void> {
  const { ids, keyMask, labels } = fixtureBatch(ref);
  const results = [model, same].map((m) => ({ logits: m.model.forward(ids, { keyMask }), loss: causalLmLossSum(m.model, ids, labels, { keyMask }).sum }));
  try {
    const [a, b] = results as [(typeof results)[0], (typeof results)[0]];
    expect(maxAbsDiff(await a.logits.data(), await b.logits.data())).toBeLessThan(STORAGE_LOGITS_TOLERANCE);
    expect(relDiff((await a.loss.data())[0]!, (await b.loss.data())[0]!)).toBeLessThan(STORAGE_LOGITS_TOLERANCE);
  } finally {
    tf.dispose([ids, ...results.flatMap((r) => [r.logits, r.loss])]);
  }
}

/**
 * `tuneboard train` with tiny-llama's trajectory config (12 steps from adapter_init) on `model` and on `same`
 * (with `modelKeys` added to the first run's config: quantization_bit: 4, say) gives the same loss and grad_norm step
 * by step, the same lr and tokens, and the same adapter. Matrix products
 * keep the built-in rule's plans, so that both runs sum in the same order.
 */
export async function expectSameTrajectory(backend: BackendName, model: string, same: string, modelKeys: Record<string, unknown> = {}): Promise<void> {
  const train = async (dir: string, keys: Record<string, unknown> = {}) => {
    const out = join(mkdtempSync(join(tmpdir(), 'tb-storage-')), 'run');
    const result = json(await runCli(['train', trajectoryConfig('tiny-llama', out, { model_name_or_path: dir, ...keys }), '--backend', backend, '--json'], { env: { TUNEBOARD_GEMM_TUNING: 'off' } }));
    expect(result).toMatchObject({ status: 'completed', steps: 12 });
    return { metrics: await readMetrics(out), adapter: await readTensors(join(out, 'adapter_model.safetensors')) };
  };
  const [a, b] = [await train(model, modelKeys), await train(same)];
  expect(a.metrics.map((m) => m.step)).toEqual(b.metrics.map((m) => m.step));
  for (const [i, m] of a.metrics.entries()) {
    const n = b.metrics[i]!;
    expect(relDiff(m.loss, n.loss), `step ${m.step} loss`).toBeLessThan(STORAGE_TRAJECTORY_TOLERANCE);
    expect(relDiff(m.grad_norm, n.grad_norm), `step ${m.step} grad_norm`).toBeLessThan(STORAGE_TRAJECTORY_TOLERANCE);
    expect([m.lr, m.tokens]).toEqual([n.lr, n.tokens]);
  }
  expect([...a.adapter.keys()].sort()).toEqual([...b.adapter.keys()].sort());
  for (const [key, w] of b.adapter) expect(maxAbsDiff(a.adapter.get(key)!, w) / maxAbs(w), key).toBeLessThan(STORAGE_TRAJECTORY_TOLERANCE);
}
