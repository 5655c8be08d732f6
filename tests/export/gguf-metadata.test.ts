/**
 * Each GGUF read back with Hugging Face's GGUF reader (@huggingface/gguf): metadata keys and their GGUF types
 * against config.json and the tokenizer files, tensor names, shapes and types against llama.cpp's rules
 * worked out by hand for each model, and the stored tensor data against the source weights.
 */
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gguf, GGMLQuantizationType, GGUFValueType } from '@huggingface/gguf';
import { describe, expect, test } from 'vitest';
import { readModelConfig } from '../../src-main/engine/formats/model-config';
import { ModelWeights } from '../../src-main/engine/formats/model-weights';
import { writeGguf, type GgufProgress } from '../../src-main/engine/export/gguf/write-gguf';
import { GGUF_CASES, exportGguf, type GgufCase } from './gguf-cases';

const readJson = (dir: string, f: string) => JSON.parse(readFileSync(join(dir, f), 'utf8'));

async function readBack(file: string) {
  const parsed = await gguf(file, { allowLocalFile: true, typedMetadata: true });
  const kv = (key: string) => parsed.typedMetadata[key as keyof typeof parsed.typedMetadata] as { value: unknown; type: GGUFValueType; subType?: GGUFValueType } | undefined;
  return { ...parsed, kv };
}

/** The tensors convert_hf_to_gguf writes for the model: GGUF name -> PyTorch shape. */
function expectedTensors(config: Record<string, any>): Map<string, number[]> {
  const h = config.hidden_size, ff = config.intermediate_size, v = config.vocab_size;
  const d = config.head_dim ?? h / config.num_attention_heads;
  const q = config.num_attention_heads * d, kv = config.num_key_value_heads * d;
  const bias = config.architectures[0] === 'Qwen2ForCausalLM';
  const out = new Map<string, number[]>([['token_embd.weight', [v, h]], ['output_norm.weight', [h]]]);
  if (!config.tie_word_embeddings) out.set('output.weight', [v, h]);
  for (let i = 0; i < config.num_hidden_layers; i++) {
    const b = `blk.${i}.`;
    out.set(b + 'attn_norm.weight', [h]).set(b + 'ffn_norm.weight', [h]);
    out.set(b + 'attn_q.weight', [q, h]).set(b + 'attn_k.weight', [kv, h]).set(b + 'attn_v.weight', [kv, h]).set(b + 'attn_output.weight', [h, q]);
    if (bias) out.set(b + 'attn_q.bias', [q]).set(b + 'attn_k.bias', [kv]).set(b + 'attn_v.bias', [kv]);
    out.set(b + 'ffn_gate.weight', [ff, h]).set(b + 'ffn_up.weight', [ff, h]).set(b + 'ffn_down.weight', [h, ff]);
  }
  return out;
}

/**
 * llama-quantize's choices for these models, worked out from llama-quant.cpp: 64- and 192-wide rows do not fill
 * 256-blocks (Q4_K falls back to Q5_0, Q6_K to Q8_0), 176-wide ones not even 32-blocks (F16); the output
 * projection (or the tied embedding) takes Q6_K, else Q8_0; attn_v and ffn_down take Q6_K in the layers
 * use_more_bits picks (the last of 2; the last two of 4).
 */
const Q4_K_M: Record<GgufCase, (name: string) => string> = {
  'tiny-llama': (n) =>
    n === 'output.weight' || n === 'blk.1.attn_v.weight' ? 'Q8_0' : n.endsWith('ffn_down.weight') ? 'F16' : 'Q5_0',
  'tiny-qwen2': (n) => (['token_embd.weight', 'blk.1.attn_v.weight', 'blk.1.ffn_down.weight'].includes(n) ? 'Q8_0' : 'Q5_0'),
  'demo-model': (n) =>
    ['token_embd.weight', 'blk.2.attn_v.weight', 'blk.3.attn_v.weight'].includes(n)
      ? 'Q8_0'
      : /blk\.[23]\.ffn_down/.test(n)
        ? 'Q6_K'
        : /blk\.[01]\.ffn_down/.test(n)
          ? 'Q4_K'
          : 'Q5_0',
};

const FILE_TYPE = { f32: 0, f16: 1, bf16: 32, q8_0: 7, q4_k_m: 15 } as const;

describe.each(Object.keys(GGUF_CASES) as GgufCase[])('%s', (c) => {
  const dir = GGUF_CASES[c];
  const config = readJson(dir, 'config.json');
  const arch = config.architectures[0] === 'Qwen2ForCausalLM' ? 'qwen2' : 'llama';

  test.each(['f32', 'f16', 'bf16', 'q8_0', 'q4_k_m'] as const)('%s: metadata, tokenizer, tensor names, shapes and types', async (type) => {
    const result = await exportGguf(c, type);
    const { kv, tensorInfos, tensorDataOffset } = await readBack(result.file);
    const u32 = (key: string, value: number) => expect(kv(key), key).toEqual({ value, type: GGUFValueType.UINT32 });
    const f32 = (key: string, value: number) => {
      expect(kv(key)?.type, key).toBe(GGUFValueType.FLOAT32);
      expect(kv(key)?.value, key).toBeCloseTo(value, 10);
    };
    expect(kv('general.architecture')?.value).toBe(arch);
    expect(kv('general.name')?.value).toBe(dir.split('/').pop());
    u32('general.file_type', FILE_TYPE[type]);
    u32('general.quantization_version', 2);
    u32(`${arch}.block_count`, config.num_hidden_layers);
    u32(`${arch}.context_length`, config.max_position_embeddings);
    u32(`${arch}.embedding_length`, config.hidden_size);
    u32(`${arch}.feed_forward_length`, config.intermediate_size);
    u32(`${arch}.attention.head_count`, config.num_attention_heads);
    u32(`${arch}.attention.head_count_kv`, config.num_key_value_heads);
    f32(`${arch}.rope.freq_base`, config.rope_parameters?.rope_theta ?? config.rope_theta);
    f32(`${arch}.attention.layer_norm_rms_epsilon`, config.rms_norm_eps);
    if (config.head_dim) u32(`${arch}.attention.key_length`, config.head_dim);
    if (arch === 'llama') {
      u32('llama.vocab_size', config.vocab_size);
      u32('llama.rope.dimension_count', config.head_dim ?? config.hidden_size / config.num_attention_heads);
    }

    const tj = readJson(dir, 'tokenizer.json');
    const tc = readJson(dir, 'tokenizer_config.json');
    expect(kv('tokenizer.ggml.model')?.value).toBe('gpt2');
    expect(kv('tokenizer.ggml.pre')?.value).toBe('gpt-2'); // tokenizer.json: ByteLevel with GPT-2's regex
    const tokens = kv('tokenizer.ggml.tokens')!.value as string[];
    expect(tokens).toHaveLength(config.vocab_size);
    for (const [text, id] of Object.entries(tj.model.vocab as Record<string, number>)) expect(tokens[id]).toBe(text);
    const types = kv('tokenizer.ggml.token_type')!;
    expect(types.subType).toBe(GGUFValueType.INT32);
    const added = new Set((tj.added_tokens as Array<{ id: number }>).map((t) => t.id));
    expect(types.value).toEqual(tokens.map((_, id) => (added.has(id) ? 3 : 1))); // CONTROL, NORMAL
    expect(kv('tokenizer.ggml.merges')!.value).toEqual((tj.model.merges as string[][]).map((m) => m.join(' ')));
    const idOf = (text: string | null) => (text === null ? undefined : tj.added_tokens.find((t: { content: string }) => t.content === text)?.id);
    expect(kv('tokenizer.ggml.bos_token_id')?.value).toBe(idOf(tc.bos_token));
    expect(kv('tokenizer.ggml.eos_token_id')?.value).toBe(idOf(tc.eos_token));
    expect(kv('tokenizer.ggml.padding_token_id')?.value).toBe(idOf(tc.pad_token));
    expect(kv('tokenizer.ggml.add_bos_token')).toEqual({ value: false, type: GGUFValueType.BOOL });
    expect(kv('tokenizer.chat_template')?.value).toBe(readFileSync(join(dir, 'chat_template.jinja'), 'utf8'));

    const expected = expectedTensors(config);
    expect(tensorInfos.map((t) => t.name).sort()).toEqual([...expected.keys()].sort());
    let end = 0;
    for (const t of tensorInfos) {
      expect(t.shape.map(Number), t.name).toEqual([...expected.get(t.name)!].reverse());
      const wanted = t.shape.length === 1 ? 'F32' : type === 'q4_k_m' ? Q4_K_M[c](t.name) : type === 'q8_0' ? (t.shape[0] === 176n ? 'F16' : 'Q8_0') : type.toUpperCase();
      expect(GGMLQuantizationType[t.dtype], t.name).toBe(wanted);
      expect(Number(t.offset) % 32, t.name).toBe(0);
      end = Math.max(end, Number(t.offset));
    }
    expect(result.bytes).toBeGreaterThan(Number(tensorDataOffset) + end);
  });

  test('f32: the stored tensors are the weights, q and k rows in llama.cpp\'s rotary order for llama', async () => {
    const result = await exportGguf(c, 'f32');
    const { tensorInfos, tensorDataOffset } = await readBack(result.file);
    const weights = await ModelWeights.open(dir);
    const file = await open(result.file, 'r');
    try {
      const stored = async (name: string) => {
        const t = tensorInfos.find((x) => x.name === name)!;
        const count = t.shape.reduce((a, b) => a * Number(b), 1);
        const bytes = new Uint8Array(count * 4);
        await file.read(bytes, 0, bytes.length, Number(tensorDataOffset + t.offset));
        return new Float32Array(bytes.buffer);
      };
      expect(await stored('token_embd.weight')).toEqual(await weights.read('model.embed_tokens.weight'));
      expect(await stored('blk.1.ffn_down.weight')).toEqual(await weights.read('model.layers.1.mlp.down_proj.weight'));
      expect(await stored('blk.0.attn_v.weight')).toEqual(await weights.read('model.layers.0.self_attn.v_proj.weight'));
      const d = config.head_dim ?? config.hidden_size / config.num_attention_heads;
      for (const [proj, heads] of [['q', config.num_attention_heads], ['k', config.num_key_value_heads]] as const) {
        const hf = (await weights.read(`model.layers.0.self_attn.${proj}_proj.weight`)) as Float32Array;
        const ours = await stored(`blk.0.attn_${proj}.weight`);
        const h = config.hidden_size;
        // llama.cpp row 2i + j of a head is Hugging Face row j * d/2 + i (rotary halves interleaved); qwen2 keeps the order.
        for (let head = 0; head < heads; head++)
          for (let r = 0; r < d; r++) {
            const from = arch === 'llama' ? (r % 2) * (d / 2) + Math.floor(r / 2) : r;
            expect(ours.subarray((head * d + r) * h, (head * d + r + 1) * h), `${proj} head ${head} row ${r}`).toEqual(hf.subarray((head * d + from) * h, (head * d + from + 1) * h));
          }
      }
    } finally {
      await file.close();
      await weights.close();
    }
  });
});

test('progress counts every tensor and byte, ending at the file size', async () => {
  const dir = GGUF_CASES['demo-model'];
  const source = await ModelWeights.open(dir);
  const events: GgufProgress[] = [];
  try {
    const result = await writeGguf({ source, config: await readModelConfig(dir), modelDir: dir, outFile: join(mkdtempSync(join(tmpdir(), 'tb-gguf-')), 'm.gguf'), type: 'q4_k_m', onProgress: (p) => events.push(p) });
    expect(events.map((e) => e.tensorsDone)).toEqual(Array.from({ length: result.tensors }, (_, i) => i + 1));
    expect(events.every((e, i) => e.tensorsTotal === result.tensors && e.bytesTotal === result.bytes && (i === 0 || e.bytesWritten > events[i - 1]!.bytesWritten))).toBe(true);
    expect(events.at(-1)!.bytesWritten).toBe(result.bytes);
    expect(statSync(result.file).size).toBe(result.bytes);
  } finally {
    await source.close();
  }
});
