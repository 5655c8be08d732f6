import * as tf from '../../src-main/engine/backend/tf';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { initBackend } from '../../src-main/engine/backend/backend';
import { causalLmLossSum } from '../../src-main/engine/model/loss';
import { loadModel, type LoadedModel } from '../../src-main/engine/model/load-model';
import { generate } from '../../src-main/engine/model/generate';
import { CASES, fixturePath, maxAbsDiff, readJson, readReference, relDiff } from '../fixtures';

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`forward pass on ${backend}`, () => {
    beforeAll(async () => {
      await initBackend(backend);
    });
    // The cpu backend is ~30x slower, so it checks one case; wasm checks both.
    for (const c of backend === 'wasm' ? CASES : (['tiny-qwen2'] as const)) {
      describe(c, () => {
        let loaded: LoadedModel;
        beforeAll(async () => {
          loaded = await loadModel(fixturePath(c, 'model'));
        });
        afterAll(() => loaded.dispose());

        test('logits equal base.logits and the loss equals base.loss', async () => {
          const ref = await readReference(c);
          const ids = ref.get('batch.input_ids')!;
          const [B, T] = ids.shape as [number, number];
          const idsT = tf.tensor2d(ids.values, [B, T], 'int32');
          const keyMask = ref.get('batch.attention_mask')!.values;
          const logits = loaded.model.forward(idsT, { keyMask });
          const diff = maxAbsDiff(await logits.data(), ref.get('base.logits')!.values);
          expect(diff).toBeLessThan(2e-4);
          const { sum, tokens } = causalLmLossSum(loaded.model, idsT, ref.get('batch.labels')!.values, { keyMask });
          const loss = (await sum.data())[0]! / tokens;
          const expected = readJson(c, 'reference.json');
          expect(tokens).toBe(expected['batch.tokens']);
          expect(relDiff(loss, expected['base.loss'])).toBeLessThan(1e-4);
          tf.dispose([idsT, logits, sum]);
        });

        if (backend === 'wasm') {
          test('greedy generation reproduces gen.base', async () => {
            const expected = readJson(c, 'reference.json');
            const ids = await generate(loaded.model, expected['gen.prompt_ids'], { maxNewTokens: 24, sampling: { kind: 'greedy' }, stopIds: [] });
            expect(ids).toEqual(expected['gen.base']);
          });
        }
      });
    }
  });
}
