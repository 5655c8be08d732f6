/**
 * llama.cpp's `tokenizer.ggml.pre` for a byte-level BPE tokenizer.json. convert_hf_to_gguf recognises known
 * tokenizers by hashing a test tokenization; a fine-tuned model's tokenizer is its base model's, so reading the
 * pre-tokenizer's split regex (what the hash stands for) names the same llama.cpp pre-tokenizer, and also works
 * for small custom vocabularies no hash list knows.
 */
import { UserError } from '../../errors';

/** Split regexes as tokenizer.json writes them, with the llama.cpp pre-tokenizer that splits text the same way. */
const SPLIT_REGEX_PRE: ReadonlyArray<readonly [regex: string, pre: string]> = [
  // Llama 3 / 3.1 / 3.2 (llama-vocab.cpp LLAMA_VOCAB_PRE_TYPE_LLAMA3)
  ["(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+", 'llama-bpe'],
  // Qwen2 / Qwen2.5 (LLAMA_VOCAB_PRE_TYPE_QWEN2)
  ["(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+", 'qwen2'],
  // GPT-2's, spelled out (LLAMA_VOCAB_PRE_TYPE_GPT2)
  ["'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+", 'gpt-2'],
];

interface PreTokenizerJson {
  type?: string;
  add_prefix_space?: boolean;
  use_regex?: boolean;
  individual_digits?: boolean;
  pattern?: { Regex?: string; String?: string };
  behavior?: string;
  invert?: boolean;
  pretokenizers?: PreTokenizerJson[];
}

/**
 * The `tokenizer.ggml.pre` value; a pre-tokenizer llama.cpp has no equivalent for is refused by name.
 * llama.cpp ignores the merges for a word already in the vocabulary exactly for llama-bpe, so the
 * tokenizer's `ignore_merges` must agree.
 */
export function llamaCppPreTokenizer(preTokenizer: unknown, ignoreMerges: boolean, source: string): string {
  const pre = preTokenizerName(preTokenizer, source);
  if (ignoreMerges !== (pre === 'llama-bpe')) {
    throw new UserError(
      `${source}: model.ignore_merges is ${ignoreMerges} with the ${pre} pre-tokenizer, which llama.cpp runs with ignore_merges ${pre === 'llama-bpe'}`,
      'Such a tokenizer can tokenize differently in llama.cpp; convert this model with llama.cpp\'s convert_hf_to_gguf.py instead.',
    );
  }
  return pre;
}

function preTokenizerName(preTokenizer: unknown, source: string): string {
  const p = (preTokenizer ?? {}) as PreTokenizerJson;
  const parts = p.type === 'Sequence' ? (p.pretokenizers ?? []) : [p];
  const byteLevel = parts[parts.length - 1];
  if (byteLevel?.type === 'ByteLevel' && !byteLevel.add_prefix_space) {
    const before = parts.slice(0, -1);
    const gpt2Regex = byteLevel.use_regex !== false;
    // ByteLevel with its own regex: GPT-2's split, alone or after single digits (SmolLM, StarCoder).
    if (gpt2Regex && before.length === 0) return 'gpt-2';
    if (gpt2Regex && before.length === 1 && before[0]!.type === 'Digits' && before[0]!.individual_digits) return 'smollm';
    const split = before[0];
    if (!gpt2Regex && before.length === 1 && split?.type === 'Split' && split.behavior === 'Isolated' && !split.invert && split.pattern?.Regex) {
      const known = SPLIT_REGEX_PRE.find(([regex]) => regex === split.pattern!.Regex);
      if (known) return known[1];
      throw new UserError(
        `${source}: the pre-tokenizer splits with the regex ${JSON.stringify(split.pattern.Regex)}, which no llama.cpp pre-tokenizer known to TuneBoard reproduces`,
        'GGUF export knows the GPT-2, Llama 3, Qwen2 and SmolLM byte-level pre-tokenizers; convert this model with llama.cpp\'s convert_hf_to_gguf.py instead.',
      );
    }
  }
  throw new UserError(
    `${source}: pre_tokenizer ${describe(p)} has no llama.cpp equivalent known to TuneBoard`,
    'GGUF export knows the GPT-2, Llama 3, Qwen2 and SmolLM byte-level pre-tokenizers and SentencePiece-style (byte_fallback) vocabularies.',
  );
}

function describe(p: PreTokenizerJson): string {
  if (p.type === 'Sequence') return `Sequence[${(p.pretokenizers ?? []).map(describe).join(', ')}]`;
  if (p.type === 'ByteLevel') return `ByteLevel(add_prefix_space: ${Boolean(p.add_prefix_space)}, use_regex: ${p.use_regex !== false})`;
  return p.type ?? 'null';
}
