/**
 * Base weights kept packed on webgpu and widened by the kernels that read them: NF4 (quantized on load as
 * bitsandbytes does, or as a bitsandbytes folder stores it) gives the numbers of the float32 weights bitsandbytes'
 * dequantization gives; 16-bit weights as stored give those of the same weights widened on load; and a binding
 * limit too small for a weight splits it into row blocks without changing a number.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { LoraAdapter } from '../../src-main/engine/lora/lora-adapter';
import { generate } from '../../src-main/engine/model/generate';
import type { Linear } from '../../src-main/engine/model/linear';
import { loadModel, type LoadedModel, type LoadOptions } from '../../src-main/engine/model/load-model';
import { LINEAR_LAYERS } from '../../src-main/engine/model/model-layout';
import { fixturePath, readJson, readReference } from '../fixtures';
import { attachFixtureAdapter, expectGradientsAndAdamWStep, expectLogitsAndLoss, type Reference } from '../reference-checks';
import { expectSameLogits, expectSameTrajectory } from '../storage-checks';
import { webgpuTests } from '../webgpu-backend';

/** The formats of a loaded model's frozen matrices: embedding, the first layer's projections, LM head. */
function formats(loaded: LoadedModel) {
  const { model } = loaded;
  return {
    embedding: model.embedTokens.format,
    projections: [...new Set(LINEAR_LAYERS.map((p) => (model.layers[0]!.projection(p) as Linear).weight.format))],
    lmHead: model.lmHead.weight.format,
  };
}

async function withModel<T>(dir: string, options: LoadOptions, use: (loaded: LoadedModel) => Promise<T>): Promise<T> {
  const loaded = await loadModel(dir, undefined, options);
  try {
    return await use(loaded);
  } finally {
    loaded.dispose();
  }
}

describe.runIf(webgpuTests)('weight storage on webgpu', () => {
  describe('NF4: tiny-llama against tiny-llama-nf4/dequantized', () => {
    let dequantized: LoadedModel;
    let ref: Reference;
    beforeAll(async () => {
      dequantized = await loadModel(fixturePath('tiny-llama-nf4', 'dequantized'));
      ref = await readReference('tiny-llama');
    });
    afterAll(() => dequantized.dispose());

    test('storage nf4 keeps the projections as NF4 (a float32 file keeps its embeddings float32) and gives the logits and loss of dequantized/', async () => {
      await withModel(fixturePath('tiny-llama', 'model'), { storage: 'nf4' }, async (nf4) => {
        expect(formats(nf4)).toEqual({ embedding: 'float32', projections: ['nf4'], lmHead: 'float32' });
        await expectSameLogits(nf4, dequantized, ref);
        // 4.5 bits a weight against 32 here, with 1.1 KB of tables a matrix, large beside 64 x 64 weights.
        expect(nf4.base.bytes.projections / dequantized.base.bytes.projections).toBeLessThan(0.2);
        expect(nf4.base.bytes.total - nf4.base.bytes.projections).toBe(dequantized.base.bytes.total - dequantized.base.bytes.projections);
      });
    });

    test('greedy generation with the KV cache gives the tokens of dequantized/', async () => {
      const prompt = readJson('tiny-llama', 'reference.json')['gen.prompt_ids'];
      const options = { maxNewTokens: 12, sampling: { kind: 'greedy' }, stopIds: [] } as const;
      await withModel(fixturePath('tiny-llama', 'model'), { storage: 'nf4' }, async (nf4) => {
        expect(await generate(nf4.model, prompt, options)).toEqual(await generate(dequantized.model, prompt, options));
      });
    });

    test('12 training steps on tiny-llama-nf4/bnb-4bit, its projections kept as NF4, follow those on dequantized/ (loss, grad_norm, adapter)', async () => {
      await expectSameTrajectory('webgpu', fixturePath('tiny-llama-nf4', 'bnb-4bit'), fixturePath('tiny-llama-nf4', 'dequantized'));
    });

    test('12 training steps with quantization_bit: 4 on tiny-llama/model (quantized as it loads) follow those on dequantized/', async () => {
      await expectSameTrajectory('webgpu', fixturePath('tiny-llama', 'model'), fixturePath('tiny-llama-nf4', 'dequantized'), { quantization_bit: 4 });
    });

    test('tiny-llama-nf4/bnb-4bit loads as the NF4 it stores, whatever storage is asked, and gives the logits and loss of dequantized/', async () => {
      for (const storage of ['auto', 'float32'] as const) {
        await withModel(fixturePath('tiny-llama-nf4', 'bnb-4bit'), { storage }, async (bnb) => {
          expect(formats(bnb).projections).toEqual(['nf4']);
          await expectSameLogits(bnb, dequantized, ref);
        });
      }
    });
  });

  describe('16-bit: tiny-qwen2 (bf16)', () => {
    let ref: Reference;
    beforeAll(async () => {
      ref = await readReference('tiny-qwen2');
    });

    test('loads as stored by default, gives the logits and loss of the same weights widened to float32, and generates gen.base', async () => {
      await withModel(fixturePath('tiny-qwen2', 'model'), {}, async (packed) => {
        expect(formats(packed)).toEqual({ embedding: 'bf16', projections: ['bf16'], lmHead: 'bf16' });
        await withModel(fixturePath('tiny-qwen2', 'model'), { storage: 'float32' }, async (widened) => {
          expect(formats(widened)).toEqual({ embedding: 'float32', projections: ['float32'], lmHead: 'float32' });
          expect(packed.base.bytes.projections / widened.base.bytes.projections).toBe(0.5);
          await expectSameLogits(packed, widened, ref);
        });
        const expected = readJson('tiny-qwen2', 'reference.json');
        expect(await generate(packed.model, expected['gen.prompt_ids'], { maxNewTokens: 24, sampling: { kind: 'greedy' }, stopIds: [] })).toEqual(expected['gen.base']);
      });
    });

    test('with an 8 KiB binding limit the embedding (the tied LM head) and the MLP weights are split into row blocks; logits, loss, LoRA gradients and an AdamW step are unchanged', async () => {
      await withModel(fixturePath('tiny-qwen2', 'model'), {}, async (whole) => {
        await withModel(fixturePath('tiny-qwen2', 'model'), { maxBlockBytes: 8192 }, async (split) => {
          const { model } = split;
          // 1024 x 64 bf16 in blocks of 64 rows; gate and up [160, 64] in 64 + 64 + 32 rows; down [64, 160] in blocks of 25 rows along k.
          expect(model.embedTokens.blocks.map((b) => b.rows)).toEqual(new Array(16).fill(64));
          expect(model.lmHead.weight).toBe(model.embedTokens);
          const mlp = (p: 'gate_proj' | 'down_proj') => (model.layers[0]!.projection(p) as Linear).weight.blocks.map((b) => b.rows);
          expect([mlp('gate_proj'), mlp('down_proj')]).toEqual([[64, 64, 32], [25, 25, 14]]);
          await expectSameLogits(split, whole, ref);
          await expectLogitsAndLoss(model, 'tiny-qwen2', ref, 'base');
          const { adapter } = await attachFixtureAdapter(model, 'tiny-qwen2', 'adapter_random');
          try {
            await expectGradientsAndAdamWStep(model, adapter as LoraAdapter, ref, false);
          } finally {
            adapter.detach();
          }
        });
      });
    });
  });
});
