import { afterAll, beforeAll, expect, test } from 'vitest';
import { initBackend } from '../../src-main/engine/backend/backend';
import * as tf from '../../src-main/engine/backend/tf';
import { readAdapter } from '../../src-main/engine/lora/adapter-files';
import { LoraAdapter } from '../../src-main/engine/lora/lora-adapter';
import { LINEAR_LAYERS } from '../../src-main/engine/model/model-layout';
import { loadModel, type LoadedModel } from '../../src-main/engine/model/load-model';
import { causalLmLossSum } from '../../src-main/engine/model/loss';
import { fixturePath, readReference } from '../fixtures';

let loaded: LoadedModel;
let adapter: LoraAdapter;
let loss: () => Promise<number>;

beforeAll(async () => {
  await initBackend('wasm');
  loaded = await loadModel(fixturePath('tiny-llama', 'model'));
  const { config, tensors } = await readAdapter(fixturePath('tiny-llama', 'adapter_random'), LINEAR_LAYERS);
  adapter = LoraAdapter.attach(loaded.model, { ...config, dropout: 0.3 }, { kind: 'weights', tensors });
  const ref = await readReference('tiny-llama');
  const ids = ref.get('batch.input_ids')!;
  loss = async () => {
    const { sum } = causalLmLossSum(loaded.model, tf.tensor2d(ids.values, ids.shape as [number, number], 'int32'), ref.get('batch.labels')!.values, { keyMask: ref.get('batch.attention_mask')!.values });
    return (await sum.data())[0]!;
  };
});
afterAll(() => {
  adapter.detach();
  loaded.dispose();
});

test('dropout applies while training, drawn from the seed, and never while evaluating', async () => {
  adapter.setTraining(null);
  const evaluation = await loss();
  adapter.setTraining(11);
  const trainingA = await loss();
  adapter.setTraining(11);
  const trainingB = await loss();
  adapter.setTraining(12);
  const otherSeed = await loss();
  adapter.setTraining(null);
  expect(await loss()).toBe(evaluation);
  expect(trainingA).toBe(trainingB);
  expect(trainingA).not.toBe(evaluation);
  expect(otherSeed).not.toBe(trainingA);
});

test('gradient checkpointing recomputes the same dropout masks: gradients equal those without it', async () => {
  const ref = await readReference('tiny-llama');
  const ids = ref.get('batch.input_ids')!;
  const gradsWith = async (recomputeLayers: boolean) => {
    adapter.setTraining(5);
    const vars = adapter.parameters().map((p) => p.variable);
    const { grads } = tf.variableGrads(
      () => causalLmLossSum(loaded.model, tf.tensor2d(ids.values, ids.shape as [number, number], 'int32'), ref.get('batch.labels')!.values, { keyMask: ref.get('batch.attention_mask')!.values, recomputeLayers }).sum,
      vars,
    );
    adapter.setTraining(null);
    return Promise.all(vars.map((v) => grads[v.name]!.data()));
  };
  const plain = await gradsWith(false);
  const recomputed = await gradsWith(true);
  recomputed.forEach((g, i) => expect(Array.from(g)).toEqual(Array.from(plain[i]!)));
});
