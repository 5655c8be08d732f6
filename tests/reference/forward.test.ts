import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { initBackend } from '../../src-main/engine/backend/backend';
import { loadModel, type LoadedModel } from '../../src-main/engine/model/load-model';
import { generate } from '../../src-main/engine/model/generate';
import { CASES, fixturePath, readJson, readReference } from '../fixtures';
import { expectLogitsAndLoss } from '../reference-checks';

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
          await expectLogitsAndLoss(loaded.model, c, await readReference(c), 'base');
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
