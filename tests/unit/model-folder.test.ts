import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { UserError } from '../../src-main/engine/errors';
import { parseModelConfig, readModelConfig } from '../../src-main/engine/formats/model-config';
import type { TensorDtype } from '../../src-main/engine/formats/dtype';
import { ModelWeights } from '../../src-main/engine/formats/model-weights';
import { SafetensorsFile, writeSafetensors } from '../../src-main/engine/formats/safetensors';
import { ChatTokenizer } from '../../src-main/engine/formats/tokenizer';
import { describeModel } from '../../src-main/engine/jobs/model-info';
import { fixturePath } from '../fixtures';

function copyOf(model: string): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'tb-model-')), 'model');
  cpSync(fixturePath(model, 'model'), dir, { recursive: true });
  return dir;
}

async function rejection(p: Promise<unknown>): Promise<UserError> {
  const err = await p.then(
    () => null,
    (e) => e,
  );
  expect(err).toBeInstanceOf(UserError);
  return err as UserError;
}

describe('config.json', () => {
  test('transformers 5 style (rope_parameters, dtype)', async () => {
    const c = await readModelConfig(fixturePath('tiny-llama', 'model'));
    expect(c).toMatchObject({ architecture: 'LlamaForCausalLM', numKvHeads: 2, headDim: 16, ropeTheta: 10000, dtype: 'F32', tieWordEmbeddings: false, qkvBias: false });
  });

  test('transformers 4 style (rope_theta, torch_dtype)', async () => {
    const c = await readModelConfig(fixturePath('tiny-qwen2', 'model'));
    expect(c).toMatchObject({ architecture: 'Qwen2ForCausalLM', ropeTheta: 1e6, dtype: 'BF16', tieWordEmbeddings: true, qkvBias: true, oBias: false, rmsNormEps: 1e-6 });
  });

  test('llama3 rope scaling is understood', () => {
    const raw = JSON.parse(readFileSync(fixturePath('tiny-llama', 'model', 'config.json'), 'utf8'));
    raw.rope_parameters = { rope_type: 'llama3', rope_theta: 500000, factor: 32, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 };
    expect(parseModelConfig(raw).ropeScaling).toEqual({ type: 'llama3', factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 });
  });

  test('an unknown architecture is refused, naming it and what is supported', async () => {
    const dir = copyOf('tiny-llama');
    const raw = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...raw, architectures: ['GPT2LMHeadModel'], model_type: 'gpt2' }));
    const err = await rejection(describeModel(dir));
    expect(err.message).toMatch(/architecture GPT2LMHeadModel is not supported/);
    expect(err.hint).toMatch(/LlamaForCausalLM, Qwen2ForCausalLM, MistralForCausalLM/);
  });

  test('a missing key is named with the file', async () => {
    const err = await rejection(Promise.resolve().then(() => parseModelConfig({ architectures: ['LlamaForCausalLM'], model_type: 'llama' }, 'x/config.json')));
    expect(err.message).toMatch(/x\/config.json: vocab_size: /);
  });
});

describe('model folder', () => {
  test('sharded weights load through the index', async () => {
    const w = await ModelWeights.open(fixturePath('tiny-qwen2', 'model'));
    expect(w.files).toHaveLength(5);
    expect(w.info('model.layers.0.self_attn.q_proj.bias').dtype).toBe('BF16');
    await w.close();
  });

  test('a missing shard is a clear error naming the shard', async () => {
    const dir = copyOf('tiny-qwen2');
    rmSync(join(dir, 'model-00003-of-00005.safetensors'));
    const err = await rejection(describeModel(dir));
    expect(err.message).toContain('model-00003-of-00005.safetensors');
    expect(err.message).toMatch(/is missing/);
  });

  test('a missing tokenizer is a clear error', async () => {
    const dir = copyOf('tiny-llama');
    rmSync(join(dir, 'tokenizer.json'));
    const err = await rejection(ChatTokenizer.load(dir));
    expect(err.message).toMatch(/has no tokenizer.json/);
  });

  test('info (and the Model tab) run the checks loading runs: a missing or wrong-shaped tensor is named', async () => {
    const rewrite = async (dir: string, change: (tensors: Array<{ name: string; dtype: TensorDtype; shape: readonly number[]; bytes: Uint8Array }>) => void) => {
      const file = await SafetensorsFile.open(join(dir, 'model.safetensors'));
      const tensors = await Promise.all([...file.tensors.values()].map(async (t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, bytes: await file.readBytes(t.name) })));
      await file.close();
      change(tensors);
      rmSync(join(dir, 'model.safetensors'));
      await writeSafetensors(join(dir, 'model.safetensors'), tensors);
      return dir;
    };
    const missing = await rewrite(copyOf('tiny-llama'), (ts) => ts.splice(ts.findIndex((t) => t.name === 'model.layers.1.mlp.up_proj.weight'), 1));
    expect((await rejection(describeModel(missing))).message).toContain('the weights have no tensor model.layers.1.mlp.up_proj.weight');
    const misshapen = await rewrite(copyOf('tiny-llama'), (ts) => {
      const t = ts.find((x) => x.name === 'model.norm.weight')!;
      Object.assign(t, { shape: [32], bytes: t.bytes.subarray(0, 128) });
    });
    expect((await rejection(describeModel(misshapen))).message).toContain('tensor model.norm.weight has shape [32] but config.json implies [64]');
    // A 4-bit checkpoint missing a quantized weight's scales: named with its file.
    const bnb = join(mkdtempSync(join(tmpdir(), 'tb-bnb-')), 'model');
    cpSync(fixturePath('tiny-llama-nf4', 'bnb-4bit'), bnb, { recursive: true });
    await rewrite(bnb, (ts) => ts.splice(ts.findIndex((t) => t.name === 'model.layers.0.self_attn.k_proj.weight.absmax'), 1));
    expect((await rejection(describeModel(bnb))).message).toMatch(/model.safetensors: model.layers.0.self_attn.k_proj.weight has no model.layers.0.self_attn.k_proj.weight.absmax/);
    const original = await describeModel(fixturePath('tiny-llama', 'model'));
    expect(await describeModel(fixturePath('tiny-llama-nf4', 'bnb-4bit'))).toMatchObject({ quantization: 'bitsandbytes 4-bit NF4, double quantization', parameters: original.parameters });
    expect(original.quantization).toBeNull();
  });

  test('a folder that is not a model says so', async () => {
    const err = await rejection(describeModel(mkdtempSync(join(tmpdir(), 'tb-empty-'))));
    expect(err.message).toMatch(/not a Hugging Face model folder: it has no config.json/);
  });

  test('a path that does not exist says so, and a Hub id says how to download it', async () => {
    const missing = join(tmpdir(), 'tb-no-such-model');
    expect((await rejection(describeModel(missing))).message).toBe(`${missing} does not exist`);
    const hub = await rejection(describeModel('Qwen/Qwen2.5-0.5B-Instruct'));
    expect(hub.message).toMatch(/Qwen\/Qwen2.5-0.5B-Instruct looks like a Hugging Face Hub model id/);
    expect((hub as UserError).hint).toMatch(/huggingface-cli download Qwen\/Qwen2.5-0.5B-Instruct --local-dir/);
  });

  test('pickle-only weights are refused with how to convert them', async () => {
    const dir = copyOf('tiny-llama');
    rmSync(join(dir, 'model.safetensors'));
    writeFileSync(join(dir, 'pytorch_model.bin'), 'x');
    const err = await rejection(describeModel(dir));
    expect(err.message).toMatch(/PyTorch pickle weights/);
    expect(err.hint).toMatch(/safe_serialization/);
  });
});
