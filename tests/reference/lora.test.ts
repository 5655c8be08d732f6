import { afterAll, beforeAll, describe, test } from 'vitest';
import { initBackend } from '../../src-main/engine/backend/backend';
import * as tf from '../../src-main/engine/backend/tf';
import type { LoraAdapter } from '../../src-main/engine/lora/lora-adapter';
import { loadModel, type LoadedModel } from '../../src-main/engine/model/load-model';
import { CASES, fixturePath, readReference } from '../fixtures';
import { attachFixtureAdapter, expectGradientsAndAdamWStep, expectLogitsAndLoss, type Reference } from '../reference-checks';

describe.each(CASES)('LoRA with adapter_random on %s (wasm)', (c) => {
  let loaded: LoadedModel;
  let adapter: LoraAdapter;
  let ref: Reference;
  let adapterTensors: Map<string, { values: Float32Array }>;

  beforeAll(async () => {
    await initBackend('wasm');
    loaded = await loadModel(fixturePath(c, 'model'));
    ({ adapter, tensors: adapterTensors } = await attachFixtureAdapter(loaded.model, c, 'adapter_random'));
    ref = await readReference(c);
  });
  afterAll(() => {
    adapter.detach();
    loaded.dispose();
  });

  test('logits equal lora.logits and the loss equals lora.loss', async () => {
    await expectLogitsAndLoss(loaded.model, c, ref, 'lora');
  });

  test.each([false, true])('gradients equal grad.<key> and one AdamW step gives step1.<key> (gradient checkpointing: %s)', async (recomputeLayers) => {
    await expectGradientsAndAdamWStep(loaded.model, adapter, ref, recomputeLayers);
    // Put the adapter back for the next case.
    for (const p of adapter.parameters()) p.variable.assign(tf.tensor(adapterTensors.get(p.key)!.values, p.variable.shape));
  });
});
