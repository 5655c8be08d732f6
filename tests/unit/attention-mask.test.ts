import { beforeAll, expect, test } from 'vitest';
import { initBackend } from '../../src-main/engine/backend/backend';
import { attentionBias } from '../../src-main/engine/model/attention-mask';
import { parseModelConfig } from '../../src-main/engine/formats/model-config';

beforeAll(async () => {
  await initBackend('wasm');
});

const visible = async (bias: ReturnType<typeof attentionBias>) => ((await bias.array()) as number[][][][][]).map((b) => b[0]![0]!.map((row) => row.map((v) => (v === 0 ? 1 : 0))));

test('causal and padding mask: queries see earlier real tokens only', async () => {
  // Batch of 2, 3 positions; the second sequence has one padding token at the end.
  const m = await visible(attentionBias(2, 0, 3, [1, 1, 1, 1, 1, 0], null));
  expect(m[0]).toEqual([[1, 0, 0], [1, 1, 0], [1, 1, 1]]);
  expect(m[1]).toEqual([[1, 0, 0], [1, 1, 0], [1, 1, 0]]);
});

test('with a KV cache, new queries see every cached position', async () => {
  expect((await visible(attentionBias(1, 3, 1, null, null)))[0]).toEqual([[1, 1, 1, 1]]);
});

test("Mistral's sliding window hides keys further back than the window", async () => {
  expect((await visible(attentionBias(1, 0, 4, null, 2)))[0]).toEqual([[1, 0, 0, 0], [1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1]]);
  const mistral = parseModelConfig({
    architectures: ['MistralForCausalLM'], model_type: 'mistral', vocab_size: 32000, hidden_size: 4096, intermediate_size: 14336,
    num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 8, sliding_window: 4096, rope_theta: 1e6, torch_dtype: 'bfloat16', eos_token_id: 2,
  });
  expect(mistral).toMatchObject({ architecture: 'MistralForCausalLM', slidingWindow: 4096, headDim: 128, qkvBias: false });
});
