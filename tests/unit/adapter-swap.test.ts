/** Adapters swapped in place on one loaded base model generate exactly what a fresh load of each does. */
import { beforeAll, expect, test } from 'vitest';
import { initBackend } from '../../src-main/engine/backend/backend';
import { LoraAdapter } from '../../src-main/engine/lora/lora-adapter';
import { generate } from '../../src-main/engine/model/generate';
import { loadModel, type LoadedModel } from '../../src-main/engine/model/load-model';
import { fixturePath, readJson } from '../fixtures';

const model = fixturePath('tiny-llama', 'model');
const promptIds: number[] = readJson('tiny-llama', 'reference.json')['gen.prompt_ids'];
const options = { maxNewTokens: 24, sampling: { kind: 'greedy' } as const, stopIds: [] };

beforeAll(async () => {
  await initBackend('wasm');
});

async function withAdapter(loaded: LoadedModel, dir: string | null): Promise<number[]> {
  const adapter = dir ? await LoraAdapter.load(loaded.model, dir) : null;
  try {
    return await generate(loaded.model, promptIds, options);
  } finally {
    adapter?.detach();
  }
}

test('A, then B, then A again on one base model give the tokens of a fresh load of each', async () => {
  const [a, b] = [fixturePath('tiny-llama', 'adapter_random'), fixturePath('tiny-llama', 'adapter_final')];
  const fresh = async (dir: string | null) => {
    const loaded = await loadModel(model);
    try {
      return await withAdapter(loaded, dir);
    } finally {
      loaded.dispose();
    }
  };
  const expected = { a: await fresh(a), b: await fresh(b), base: await fresh(null) };
  expect(expected.a).not.toEqual(expected.b);
  const shared = await loadModel(model);
  try {
    expect(await withAdapter(shared, a)).toEqual(expected.a);
    expect(await withAdapter(shared, b)).toEqual(expected.b);
    expect(await withAdapter(shared, a)).toEqual(expected.a);
    expect(await withAdapter(shared, null)).toEqual(expected.base);
  } finally {
    shared.dispose();
  }
  // The base alone is the reference's own greedy continuation.
  expect(expected.base).toEqual(readJson('tiny-llama', 'reference.json')['gen.base']);
});
