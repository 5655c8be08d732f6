/**
 * SentencePiece-style vocabularies (BPE with byte_fallback in tokenizer.json, as Llama 2, Mistral and
 * TinyLlama ship) are written as llama.cpp's `llama` tokenizer. A small such tokenizer, built the way
 * transformers converts a SentencePiece model, must tokenize in llama.cpp exactly as in tokenizer.json.
 */
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gguf } from '@huggingface/gguf';
import { Tokenizer } from '@huggingface/tokenizers';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readModelConfig } from '../../src-main/engine/formats/model-config';
import { ModelWeights } from '../../src-main/engine/formats/model-weights';
import { writeGguf } from '../../src-main/engine/export/gguf/write-gguf';
import { GGUF_CASES } from './gguf-cases';

const SP = '\u2581';
/** Pieces in SentencePiece score order (best first), after the byte tokens. */
const PIECES = [
  `${SP}t`, 'he', `${SP}the`, 'in', 'an', `${SP}a`, 'er', 'nd', `${SP}and`, `${SP}o`, 'on', 'ou', `${SP}s`, 'at', 'en', `${SP}w`, 're', `${SP}c`, 'is', 'it',
  `${SP}th`, 'ing', `${SP}in`, `${SP}an`, `${SP}of`, 'or', 'es', `${SP}is`, `${SP}b`, `${SP}f`, 'ed', `${SP}to`, 'll', `${SP}m`, `${SP}p`, 'ar', 'le', `${SP}h`,
];
const CHARS = [SP, ...'abcdefghijklmnopqrstuvwxyz.,'];

/** tokenizer.json as transformers writes it for a converted SentencePiece BPE model (LlamaTokenizerFast). */
function sentencePieceTokenizer() {
  const vocab: Record<string, number> = { '<unk>': 0, '<s>': 1, '</s>': 2 };
  for (let b = 0; b < 256; b++) vocab[`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`] = 3 + b;
  for (const p of [...PIECES, ...CHARS]) vocab[p] ??= Object.keys(vocab).length;
  // SentencePieceExtractor: every split of a piece into two pieces is a merge, ordered by the piece's score.
  const merges: Array<[string, string]> = [];
  for (const piece of PIECES) for (let i = 1; i < piece.length; i++) if (vocab[piece.slice(0, i)] !== undefined && vocab[piece.slice(i)] !== undefined) merges.push([piece.slice(0, i), piece.slice(i)]);
  const special = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(0, '<unk>'), special(1, '<s>'), special(2, '</s>')],
    normalizer: { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: SP }, { type: 'Replace', pattern: { String: ' ' }, content: SP }] },
    pre_tokenizer: null,
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '<s>', type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } },
    },
    decoder: { type: 'Sequence', decoders: [{ type: 'Replace', pattern: { String: SP }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' }, { type: 'Strip', content: ' ', start: 1, stop: 0 }] },
    model: { type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: true, byte_fallback: true, ignore_merges: false, vocab, merges },
  };
}

describe('a SentencePiece-style tokenizer.json', () => {
  const model = join(mkdtempSync(join(tmpdir(), 'tb-gguf-spm-')), 'model');
  const tokenizerJson = sentencePieceTokenizer();
  const tokenizerConfig = { bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>', add_bos_token: true, add_eos_token: false };
  let file: string;
  let llama: import('node-llama-cpp').Llama;

  beforeAll(async () => {
    // The tiny Llama's weights (never loaded: llama.cpp reads only the vocabulary) under this tokenizer.
    cpSync(GGUF_CASES['tiny-llama'], model, { recursive: true });
    writeFileSync(join(model, 'tokenizer.json'), JSON.stringify(tokenizerJson));
    writeFileSync(join(model, 'tokenizer_config.json'), JSON.stringify(tokenizerConfig));
    const source = await ModelWeights.open(model);
    try {
      file = (await writeGguf({ source, config: await readModelConfig(model), modelDir: model, outFile: join(model, '..', 'spm.gguf'), type: 'f16' })).file;
    } finally {
      await source.close();
    }
    const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
    llama = await getLlama({ gpu: false, build: 'never', skipDownload: true, logLevel: LlamaLogLevel.error });
  });
  afterAll(async () => {
    await llama?.dispose();
  });

  test('is written as llama.cpp\'s llama tokenizer: bytes typed BYTE, specials CONTROL, merge order as scores', async () => {
    const { metadata } = await gguf(file, { allowLocalFile: true });
    const m = metadata as unknown as Record<string, unknown>;
    const vocabSize = Object.keys(tokenizerJson.model.vocab).length;
    expect(m['tokenizer.ggml.model']).toBe('llama');
    expect(m['tokenizer.ggml.pre']).toBe('default');
    expect(m['tokenizer.ggml.tokens']).toEqual(Object.keys(tokenizerJson.model.vocab));
    expect(m['tokenizer.ggml.token_type']).toEqual(Array.from({ length: vocabSize }, (_, id) => (id < 3 ? 3 : id < 259 ? 6 : 1)));
    const scores = m['tokenizer.ggml.scores'] as number[];
    expect(scores[tokenizerJson.model.vocab[`${SP}t`]!]).toBe(-1); // the first merge
    expect(scores[tokenizerJson.model.vocab['he']!]).toBe(-2);
    expect(scores[tokenizerJson.model.vocab[`${SP}the`]!]).toBe(-3); // first made by ▁t + he (rank 2); ▁th + e is rank 3
    expect(scores[tokenizerJson.model.vocab['a']!]).toBe(-tokenizerJson.model.merges.length - 1); // no merge makes a single character
    expect(m['tokenizer.ggml.merges']).toBeUndefined();
    expect([m['tokenizer.ggml.bos_token_id'], m['tokenizer.ggml.eos_token_id'], m['tokenizer.ggml.unknown_token_id']]).toEqual([1, 2, 0]);
    expect([m['tokenizer.ggml.add_bos_token'], m['tokenizer.ggml.add_eos_token']]).toEqual([true, false]);
  });

  test('llama.cpp tokenizes text as tokenizer.json does', async () => {
    const hf = new Tokenizer(tokenizerJson, tokenizerConfig);
    const vocab = await llama.loadModel({ modelPath: file, vocabOnly: true });
    try {
      for (const text of ['the cat and the hat', 'in the end, it is on', ' leading space and  two', 'Zebra: ü ☃ 42', 'thethe andand ing.']) {
        const ours = hf.encode(text, { add_special_tokens: false }).ids;
        expect(vocab.tokenize(text, false), JSON.stringify(text)).toEqual(ours);
      }
    } finally {
      await vocab.dispose();
    }
  });
});
