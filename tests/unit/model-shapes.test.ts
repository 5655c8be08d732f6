/** The bench's model shapes are the released checkpoints': their layouts hold the published parameter counts. */
import { expect, test } from 'vitest';
import { MODEL_SHAPES, SHAPE_NAMES } from '../../src-main/engine/bench/model-shapes';
import { parseModelConfig } from '../../src-main/engine/formats/model-config';
import { modelLayout } from '../../src-main/engine/model/model-layout';

/** Parameters as the model cards (or model.safetensors.index.json's total_parameters) give them. */
const PUBLISHED: Partial<Record<(typeof SHAPE_NAMES)[number], number>> = {
  'qwen2.5-0.5b': 494_032_768,
  'qwen2.5-1.5b': 1_543_714_304,
  'qwen2.5-3b': 3_085_938_688,
  'qwen2.5-7b': 7_615_616_512,
  'llama-3.2-1b': 1_235_814_400,
  'llama-3.2-3b': 3_212_749_824,
  'llama-3.1-8b': 8_030_261_248,
  'mistral-7b-v0.3': 7_248_023_552,
};

test.each(Object.entries(PUBLISHED))('%s has its published %i parameters', (name, published) => {
  const layout = modelLayout(parseModelConfig(MODEL_SHAPES[name as keyof typeof MODEL_SHAPES], name));
  expect(layout.parameters.reduce((sum, p) => sum + p.shape.reduce((a, b) => a * b, 1), 0)).toBe(published);
});

test('every shape parses', () => {
  for (const name of SHAPE_NAMES) expect(() => parseModelConfig(MODEL_SHAPES[name], name)).not.toThrow();
});
