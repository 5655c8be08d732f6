/**
 * Base weights kept as NF4 on wasm: quantized on load as bitsandbytes does, then widened to float32 (wasm computes
 * in float32 only), tiny-llama gives the numbers of tiny-llama-nf4/dequantized, the weights bitsandbytes'
 * dequantization gives; and the bitsandbytes folder itself loads, and trains, to the same numbers.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { initBackend } from '../../src-main/engine/backend/backend';
import { MODEL_SHAPES } from '../../src-main/engine/bench/model-shapes';
import { RandomWeights } from '../../src-main/engine/bench/random-weights';
import { parseModelConfig } from '../../src-main/engine/formats/model-config';
import { buildModel, loadModel, type LoadedModel } from '../../src-main/engine/model/load-model';
import { fixturePath, readReference } from '../fixtures';
import type { Reference } from '../reference-checks';
import { expectSameLogits, expectSameTrajectory } from '../storage-checks';

describe('weight storage on wasm', () => {
  let dequantized: LoadedModel;
  let ref: Reference;
  beforeAll(async () => {
    await initBackend('wasm');
    dequantized = await loadModel(fixturePath('tiny-llama-nf4', 'dequantized'));
    ref = await readReference('tiny-llama');
  });
  afterAll(() => dequantized.dispose());

  test('tiny-llama with storage nf4 gives the logits and loss of tiny-llama-nf4/dequantized', async () => {
    const nf4 = await loadModel(fixturePath('tiny-llama', 'model'), undefined, { storage: 'nf4' });
    try {
      await expectSameLogits(nf4, dequantized, ref);
      // Widened to float32 here: wasm keeps no packed weights.
      expect(nf4.base.bytes.total).toBe(dequantized.base.bytes.total);
    } finally {
      nf4.dispose();
    }
  });

  test('tiny-llama-nf4/bnb-4bit, read from its stored codes, gives the logits and loss of dequantized/', async () => {
    const bnb = await loadModel(fixturePath('tiny-llama-nf4', 'bnb-4bit'));
    try {
      await expectSameLogits(bnb, dequantized, ref);
    } finally {
      bnb.dispose();
    }
  });

  test('12 training steps on tiny-llama-nf4/bnb-4bit follow those on dequantized/ (loss, grad_norm, adapter)', async () => {
    await expectSameTrajectory('wasm', fixturePath('tiny-llama-nf4', 'bnb-4bit'), fixturePath('tiny-llama-nf4', 'dequantized'));
  });

  test('12 training steps with quantization_bit: 4 on tiny-llama/model (quantized as it loads) follow those on dequantized/', async () => {
    await expectSameTrajectory('wasm', fixturePath('tiny-llama', 'model'), fixturePath('tiny-llama-nf4', 'dequantized'), { quantization_bit: 4 });
  });

  test('a model whose weights, as wasm keeps them (float32, NF4 ones too), would not fit its 4 GiB is refused before loading', async () => {
    const config = parseModelConfig(MODEL_SHAPES['llama-3.2-1b'], 'llama-3.2-1b');
    // 1.24 billion parameters: 4.6 GiB as float32; NF4 would be 0.9 GiB, but wasm computes in float32.
    for (const storage of ['auto', 'nf4'] as const) {
      await expect(buildModel(config, new RandomWeights(config, 1), { storage })).rejects.toThrow(/needs 4\.6 GiB for its weights on the wasm backend/);
    }
  });
});
