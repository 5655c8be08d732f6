/**
 * tokenizer.json pre-tokenizers mapped to llama.cpp's `tokenizer.ggml.pre`: the test vocabulary under each
 * supported pre-tokenizer must tokenize in llama.cpp (vocabulary only) exactly as in tokenizer.json.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readModelConfig } from '../../src-main/engine/formats/model-config';
import { ModelWeights } from '../../src-main/engine/formats/model-weights';
import { writeGguf } from '../../src-main/engine/export/gguf/write-gguf';
import { GGUF_CASES } from './gguf-cases';

const LLAMA3_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const QWEN2_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const byteLevel = (useRegex: boolean) => ({ type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: useRegex });
const split = (regex: string) => ({ type: 'Split', pattern: { Regex: regex }, behavior: 'Isolated', invert: false });

/** As Llama 3, Qwen2 and SmolLM write their pre-tokenizers, with the pre name llama.cpp needs for each. */
const FORMS = [
  { pre: 'gpt-2', ignoreMerges: false, preTokenizer: byteLevel(true) },
  { pre: 'llama-bpe', ignoreMerges: true, preTokenizer: { type: 'Sequence', pretokenizers: [split(LLAMA3_REGEX), byteLevel(false)] } },
  { pre: 'qwen2', ignoreMerges: false, preTokenizer: { type: 'Sequence', pretokenizers: [split(QWEN2_REGEX), byteLevel(false)] } },
  { pre: 'smollm', ignoreMerges: false, preTokenizer: { type: 'Sequence', pretokenizers: [{ type: 'Digits', individual_digits: true }, byteLevel(true)] } },
];

const TEXTS = [
  "Hello world! It's 2024-06-01, I'll pay $1234.56 -- DON'T you?",
  '\n\n  indented\tline\r\nUeber  caf\u00e9 \u4f60\u597d \ud83d\ude80\ud83d\ude80 12345678',
  '   leading spaces and trailing   ',
  'x=1+22+333+4444; <|im_start|>user\nhi<|im_end|>',
];

/** A copy of the test model whose tokenizer.json uses `preTokenizer`. */
function modelWith(preTokenizer: object, ignoreMerges: boolean): { dir: string; tokenizerJson: object } {
  const dir = join(mkdtempSync(join(tmpdir(), 'tb-gguf-pre-')), 'model');
  cpSync(GGUF_CASES['tiny-llama'], dir, { recursive: true });
  const tokenizerJson = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8'));
  tokenizerJson.pre_tokenizer = preTokenizer;
  tokenizerJson.model.ignore_merges = ignoreMerges;
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizerJson));
  return { dir, tokenizerJson };
}

async function write(dir: string): Promise<string> {
  const source = await ModelWeights.open(dir);
  try {
    return (await writeGguf({ source, config: await readModelConfig(dir), modelDir: dir, outFile: join(dir, '..', 'model.gguf'), type: 'f16' })).file;
  } finally {
    await source.close();
  }
}

describe('pre-tokenizers', () => {
  let llama: import('node-llama-cpp').Llama;
  beforeAll(async () => {
    const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
    llama = await getLlama({ gpu: false, build: 'never', skipDownload: true, logLevel: LlamaLogLevel.error });
  });
  afterAll(async () => {
    await llama?.dispose();
  });

  test.each(FORMS)('$pre tokenizes in llama.cpp as in tokenizer.json', async ({ pre, ignoreMerges, preTokenizer }) => {
    const { dir, tokenizerJson } = modelWith(preTokenizer, ignoreMerges);
    const file = await write(dir);
    const model = await llama.loadModel({ modelPath: file, vocabOnly: true });
    try {
      const { gguf } = await import('@huggingface/gguf');
      expect((await gguf(file, { allowLocalFile: true })).metadata['tokenizer.ggml.pre' as never]).toBe(pre);
      const hf = new Tokenizer(tokenizerJson, {});
      for (const text of TEXTS) expect(model.tokenize(text, true), JSON.stringify(text)).toEqual(hf.encode(text, { add_special_tokens: false }).ids);
    } finally {
      await model.dispose();
    }
  });

  test('a tokenizer whose ignore_merges differs from what llama.cpp uses for its pre-tokenizer is refused', async () => {
    const { dir } = modelWith(FORMS[1]!.preTokenizer, false);
    await expect(write(dir)).rejects.toThrow(/model\.ignore_merges is false with the llama-bpe pre-tokenizer, which llama\.cpp runs with ignore_merges true/);
  });
});
