import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { initBackend } from '../../src-main/engine/backend/backend';
import * as tf from '../../src-main/engine/backend/tf';
import { readAdapter } from '../../src-main/engine/lora/adapter-files';
import { LoraAdapter } from '../../src-main/engine/lora/lora-adapter';
import { ATTENTION_PROJECTIONS } from '../../src-main/engine/model/attention';
import { loadModel, type LoadedModel } from '../../src-main/engine/model/load-model';
import { causalLmLossSum } from '../../src-main/engine/model/loss';
import { MLP_PROJECTIONS } from '../../src-main/engine/model/mlp';
import { AdamW } from '../../src-main/engine/train/adamw';
import { CASES, fixturePath, maxAbs, maxAbsDiff, readJson, readReference, relDiff } from '../fixtures';

const LINEARS = [...ATTENTION_PROJECTIONS, ...MLP_PROJECTIONS];

describe.each(CASES)('LoRA with adapter_random on %s (wasm)', (c) => {
  let loaded: LoadedModel;
  let adapter: LoraAdapter;
  let ref: Awaited<ReturnType<typeof readReference>>;
  let adapterTensors: Map<string, { values: Float32Array }>;
  const expected = readJson(c, 'reference.json');

  beforeAll(async () => {
    await initBackend('wasm');
    loaded = await loadModel(fixturePath(c, 'model'));
    const { config, tensors } = await readAdapter(fixturePath(c, 'adapter_random'), LINEARS);
    adapterTensors = tensors;
    adapter = LoraAdapter.attach(loaded.model, config, { kind: 'weights', tensors });
    ref = await readReference(c);
  });
  afterAll(() => {
    adapter.detach();
    loaded.dispose();
  });

  const batch = () => {
    const ids = ref.get('batch.input_ids')!;
    return {
      ids: tf.tensor2d(ids.values, ids.shape as [number, number], 'int32'),
      keyMask: ref.get('batch.attention_mask')!.values,
      labels: ref.get('batch.labels')!.values,
    };
  };

  test('logits equal lora.logits and the loss equals lora.loss', async () => {
    const { ids, keyMask, labels } = batch();
    const logits = loaded.model.forward(ids, { keyMask });
    expect(maxAbsDiff(await logits.data(), ref.get('lora.logits')!.values)).toBeLessThan(2e-4);
    const { sum, tokens } = causalLmLossSum(loaded.model, ids, labels, { keyMask });
    expect(relDiff((await sum.data())[0]! / tokens, expected['lora.loss'])).toBeLessThan(1e-4);
    tf.dispose([ids, logits, sum]);
  });

  test.each([false, true])('gradients equal grad.<key> and one AdamW step gives step1.<key> (gradient checkpointing: %s)', async (recomputeLayers) => {
    const { ids, keyMask, labels } = batch();
    const params = adapter.parameters();
    expect(params.length).toBe(ref.size && [...ref.keys()].filter((k) => k.startsWith('grad.')).length);
    const { value, grads } = tf.variableGrads(() => {
      const { sum, tokens } = causalLmLossSum(loaded.model, ids, labels, { keyMask, recomputeLayers });
      return sum.div(tokens) as tf.Scalar;
    }, params.map((p) => p.variable));
    for (const p of params) {
      const want = ref.get(`grad.${p.key}`)!.values;
      const got = await grads[p.variable.name]!.data();
      expect(maxAbsDiff(got, want) / maxAbs(want), p.key).toBeLessThan(1e-4);
    }
    const byKey = new Map(params.map((p) => [p.key, grads[p.variable.name]!]));
    const optimizer = new AdamW(params, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 });
    optimizer.apply(byKey, 1e-3);
    for (const p of params) {
      const want = ref.get(`step1.${p.key}`)!.values;
      expect(maxAbsDiff(await p.variable.data(), want) / maxAbs(want), p.key).toBeLessThan(1e-4);
    }
    optimizer.dispose();
    tf.dispose([ids, value, ...Object.values(grads)]);
    // Put the adapter back for the next case.
    for (const p of params) p.variable.assign(tf.tensor(adapterTensors.get(p.key)!.values, p.variable.shape));
  });
});
