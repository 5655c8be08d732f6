/** What GGUF export refuses before any work, and that a failure or cancel midway leaves no file behind. */
import { cpSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { UserError } from '../../src-main/engine/errors';
import { readModelConfig, type ModelConfig } from '../../src-main/engine/formats/model-config';
import { ModelWeights } from '../../src-main/engine/formats/model-weights';
import type { GgufTensorSource } from '../../src-main/engine/export/gguf/tensor-plan';
import { writeGguf } from '../../src-main/engine/export/gguf/write-gguf';
import { GGUF_CASES } from './gguf-cases';

const dir = GGUF_CASES['tiny-llama'];
const freshDir = () => mkdtempSync(join(tmpdir(), 'tb-gguf-bad-'));

/** The model folder's weights, counting reads and failing the n-th one when asked. */
async function countingSource(failAtRead?: number): Promise<GgufTensorSource & { reads: number; close(): Promise<void> }> {
  const weights = await ModelWeights.open(dir);
  const source = {
    reads: 0,
    names: () => weights.names(),
    info: (name: string) => weights.info(name),
    async read(name: string) {
      if (++source.reads === failAtRead) throw new Error('disk read failed');
      return weights.read(name);
    },
    close: () => weights.close(),
  };
  return source;
}

async function attempt(config: ModelConfig, modelDir = dir, extra: { failAtRead?: number; abortAfter?: number } = {}) {
  const out = freshDir();
  const source = await countingSource(extra.failAtRead);
  const abort = new AbortController();
  try {
    const error = await writeGguf({
      source,
      config,
      modelDir,
      outFile: join(out, 'model.gguf'),
      type: 'q8_0',
      signal: abort.signal,
      onProgress: (p) => p.tensorsDone === extra.abortAfter && abort.abort(),
    }).then(
      () => null,
      (err: unknown) => err as Error,
    );
    return { error, reads: source.reads, files: readdirSync(out) };
  } finally {
    await source.close();
  }
}

describe('refused by name before any work', () => {
  test('an architecture GGUF export does not write', async () => {
    const config = { ...(await readModelConfig(dir)), architecture: 'GemmaForCausalLM' } as unknown as ModelConfig;
    const r = await attempt(config);
    expect(r.error).toBeInstanceOf(UserError);
    expect(r.error!.message).toMatch(/architecture GemmaForCausalLM cannot be exported as GGUF/);
    expect(r.reads).toBe(0);
    expect(r.files).toEqual([]);
  });

  test('llama3 RoPE scaling on Qwen2, which llama.cpp\'s qwen2 has no tensor for', async () => {
    const qwen = await readModelConfig(GGUF_CASES['tiny-qwen2']);
    const config = { ...qwen, ropeScaling: { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 } } as ModelConfig;
    const r = await attempt(config, GGUF_CASES['tiny-qwen2']);
    expect(r.error!.message).toMatch(/llama3 RoPE scaling on Qwen2ForCausalLM/);
    expect(r.reads).toBe(0);
  });

  test('untied embeddings without an lm_head (llama.cpp would tie them silently)', async () => {
    const config = { ...(await readModelConfig(dir)), tieWordEmbeddings: false };
    const source = await countingSource();
    const out = freshDir();
    try {
      const withoutHead = { ...source, names: () => source.names().filter((n) => n !== 'lm_head.weight') };
      await expect(writeGguf({ source: withoutHead, config, modelDir: dir, outFile: join(out, 'm.gguf'), type: 'f16' })).rejects.toThrow(/the weights have no lm_head\.weight/);
      expect(source.reads).toBe(0);
      expect(readdirSync(out)).toEqual([]);
    } finally {
      await source.close();
    }
  });

  test('a pre-tokenizer regex llama.cpp has no pre-tokenizer for', async () => {
    const model = join(freshDir(), 'model');
    cpSync(dir, model, { recursive: true });
    const tokenizer = JSON.parse(readFileSync(join(model, 'tokenizer.json'), 'utf8'));
    tokenizer.pre_tokenizer = {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: '\\p{L}+|\\s+' }, behavior: 'Isolated', invert: false },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    };
    writeFileSync(join(model, 'tokenizer.json'), JSON.stringify(tokenizer));
    const r = await attempt(await readModelConfig(model), model);
    expect(r.error).toBeInstanceOf(UserError);
    expect(r.error!.message).toMatch(/splits with the regex "\\\\p\{L\}\+\|\\\\s\+", which no llama\.cpp pre-tokenizer/);
    expect(r.reads).toBe(0);
    expect(r.files).toEqual([]);
  });

  test('a byte-level pre-tokenizer that adds a prefix space', async () => {
    const model = join(freshDir(), 'model');
    cpSync(dir, model, { recursive: true });
    const tokenizer = JSON.parse(readFileSync(join(model, 'tokenizer.json'), 'utf8'));
    tokenizer.pre_tokenizer.add_prefix_space = true;
    writeFileSync(join(model, 'tokenizer.json'), JSON.stringify(tokenizer));
    const r = await attempt(await readModelConfig(model), model);
    expect(r.error!.message).toMatch(/pre_tokenizer ByteLevel\(add_prefix_space: true, use_regex: true\) has no llama\.cpp equivalent/);
    expect(r.reads).toBe(0);
  });

  test('an existing file, unless overwriting', async () => {
    const out = freshDir();
    const file = join(out, 'model.gguf');
    writeFileSync(file, 'keep me');
    const source = await countingSource();
    const config = await readModelConfig(dir);
    try {
      await expect(writeGguf({ source, config, modelDir: dir, outFile: file, type: 'f16' })).rejects.toThrow(/model\.gguf already exists/);
      expect(readFileSync(file, 'utf8')).toBe('keep me');
      await writeGguf({ source, config, modelDir: dir, outFile: file, type: 'f16', overwrite: true });
      expect(readFileSync(file).subarray(0, 4).toString()).toBe('GGUF');
      expect(readdirSync(out)).toEqual(['model.gguf']);
    } finally {
      await source.close();
    }
  });
});

describe('a failure midway leaves neither the file nor a temporary one', () => {
  test('a tensor that cannot be read', async () => {
    const r = await attempt(await readModelConfig(dir), dir, { failAtRead: 6 });
    expect(r.error!.message).toBe('disk read failed');
    expect(r.reads).toBe(6);
    expect(r.files).toEqual([]);
  });

  test('a cancel', async () => {
    const r = await attempt(await readModelConfig(dir), dir, { abortAfter: 3 });
    expect(r.error).toBeInstanceOf(UserError);
    expect(r.error!.message).toBe('export cancelled');
    expect(r.files).toEqual([]);
  });

  test('a folder that cannot be made (a file is in the way)', async () => {
    const out = freshDir();
    writeFileSync(join(out, 'not-a-folder'), '');
    const source = await countingSource();
    try {
      await expect(writeGguf({ source, config: await readModelConfig(dir), modelDir: dir, outFile: join(out, 'not-a-folder', 'model.gguf'), type: 'f32' })).rejects.toThrow(/cannot create the folder .*not-a-folder \(E[A-Z]+\)/);
      expect(readdirSync(out)).toEqual(['not-a-folder']);
      expect(source.reads).toBe(0);
    } finally {
      await source.close();
    }
  });
});
