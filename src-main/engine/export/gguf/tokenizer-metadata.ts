/**
 * The `tokenizer.*` metadata of a GGUF, from tokenizer.json and tokenizer_config.json, as convert_hf_to_gguf
 * writes it: byte-level BPE vocabularies as `gpt2` (its _set_vocab_gpt2), SentencePiece-style ones (BPE with
 * byte_fallback, as Llama 2, Mistral and TinyLlama ship) as `llama` (its _set_vocab_llama_hf).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../../errors';
import type { GgufMetadata, GgufValue } from './gguf-header';
import { llamaCppPreTokenizer } from './pre-tokenizer';

/** gguf-py's TokenType. */
const TOKEN_TYPE = { normal: 1, control: 3, userDefined: 4, unused: 5, byte: 6 } as const;

interface AddedToken {
  id: number;
  content: string;
  special?: boolean;
}

interface TokenizerJson {
  added_tokens?: AddedToken[];
  normalizer?: { type?: string } | null;
  pre_tokenizer?: unknown;
  post_processor?: PostProcessor | null;
  decoder?: { type?: string } | null;
  model?: { type?: string; vocab?: Record<string, number>; merges?: Array<string | [string, string]>; byte_fallback?: boolean; ignore_merges?: boolean };
}

interface PostProcessor {
  type?: string;
  processors?: PostProcessor[];
  single?: Array<{ SpecialToken?: { id?: string } }>;
}

type TokenizerConfig = Record<string, unknown>;

export interface TokenizerMetadata {
  readonly metadata: GgufMetadata;
  /** Token texts by id, as written. */
  readonly tokens: readonly string[];
  readonly chatTemplate: string | null;
  /** tokenizer_config.json's bos_token and eos_token texts, which chat templates refer to. */
  readonly bosToken: string | null;
  readonly eosToken: string | null;
}

/** Reads and checks the tokenizer files; throws a UserError for anything llama.cpp could not tokenize the same way. */
export async function readTokenizerMetadata(modelDir: string, vocabSize: number, modelConfig: Readonly<Record<string, unknown>>): Promise<TokenizerMetadata> {
  const path = join(modelDir, 'tokenizer.json');
  if (!existsSync(path)) {
    throw new UserError(`${modelDir} has no tokenizer.json`, 'GGUF export writes the vocabulary from tokenizer.json; save it into the model folder with transformers (tokenizer.save_pretrained).');
  }
  const tj = (await readJson(path)) as TokenizerJson;
  const configPath = join(modelDir, 'tokenizer_config.json');
  const tc = existsSync(configPath) ? ((await readJson(configPath)) as TokenizerConfig) : {};
  const model = tj.model ?? {};
  if (model.type !== 'BPE' || !model.vocab) {
    throw new UserError(`${path}: tokenizer model ${model.type ?? 'none'} is not supported for GGUF export`, 'GGUF export writes BPE vocabularies (byte-level, or SentencePiece-style with byte_fallback).');
  }
  const added = tj.added_tokens ?? [];
  const byId = new Map<number, string>();
  for (const [text, id] of Object.entries(model.vocab)) byId.set(id, text);
  for (const t of added) byId.set(t.id, t.content);
  let maxId = -1;
  for (const id of byId.keys()) maxId = Math.max(maxId, id);
  if (maxId >= vocabSize) {
    throw new UserError(`${path}: token id ${maxId} does not fit vocab_size ${vocabSize} of config.json`, 'The tokenizer and the weights do not belong together.');
  }

  const entries: Array<[string, GgufValue]> = [];
  let tokens: string[];
  if (model.byte_fallback) {
    if (tj.decoder?.type !== 'Sequence') {
      throw new UserError(`${path}: a byte_fallback BPE tokenizer with decoder ${tj.decoder?.type ?? 'none'} is not SentencePiece-style, and llama.cpp has no equivalent`);
    }
    if (typeof tc['add_prefix_space'] === 'boolean') entries.push(['tokenizer.ggml.add_space_prefix', { type: 'bool', value: tc['add_prefix_space'] }]);
    const sentencePiece = sentencePieceVocab(model.vocab, model.merges ?? [], added);
    tokens = sentencePiece.tokens;
    entries.push(
      ['tokenizer.ggml.model', { type: 'string', value: 'llama' }],
      ['tokenizer.ggml.pre', { type: 'string', value: 'default' }],
      ['tokenizer.ggml.tokens', { type: 'string[]', value: tokens }],
      ['tokenizer.ggml.scores', { type: 'f32[]', value: sentencePiece.scores }],
      ['tokenizer.ggml.token_type', { type: 'i32[]', value: sentencePiece.types }],
    );
  } else {
    const pre = llamaCppPreTokenizer(tj.pre_tokenizer, Boolean(model.ignore_merges), path);
    if (tj.normalizer && tj.normalizer.type !== 'NFC') {
      throw new UserError(`${path}: normalizer ${tj.normalizer.type} has no llama.cpp equivalent for a byte-level BPE vocabulary`);
    }
    const addedById = new Map(added.map((t) => [t.id, t]));
    tokens = [];
    const types: number[] = [];
    for (let i = 0; i < vocabSize; i++) {
      const text = byId.get(i);
      const a = addedById.get(i);
      if (text === undefined) {
        tokens.push(`[PAD${i}]`);
        types.push(TOKEN_TYPE.unused);
      } else if (a) {
        const control = a.special || looksSpecial(text);
        tokens.push(control ? text : text.replaceAll('\u2581', ' '));
        types.push(control ? TOKEN_TYPE.control : TOKEN_TYPE.userDefined);
      } else {
        tokens.push(text);
        types.push(TOKEN_TYPE.normal);
      }
    }
    entries.push(
      ['tokenizer.ggml.model', { type: 'string', value: 'gpt2' }],
      ['tokenizer.ggml.pre', { type: 'string', value: pre }],
      ['tokenizer.ggml.tokens', { type: 'string[]', value: tokens }],
      ['tokenizer.ggml.token_type', { type: 'i32[]', value: types }],
      ['tokenizer.ggml.merges', { type: 'string[]', value: mergeStrings(model.merges ?? []) }],
    );
  }

  const special = specialTokenIds(tj, tc, modelConfig, tokens.length);
  for (const [kind, key] of SPECIAL_KEYS) {
    const id = special.ids.get(kind);
    if (id !== undefined) entries.push([key, { type: 'u32', value: id }]);
  }
  entries.push(['tokenizer.ggml.add_bos_token', { type: 'bool', value: special.addBos }]);
  if (special.addEos !== null) entries.push(['tokenizer.ggml.add_eos_token', { type: 'bool', value: special.addEos }]);
  const template = await chatTemplate(modelDir, tc);
  if (template) {
    for (const [name, text] of template.named) entries.push([`tokenizer.chat_template.${name}`, { type: 'string', value: text }]);
    if (template.named.length) entries.push(['tokenizer.chat_templates', { type: 'string[]', value: template.named.map(([n]) => n) }]);
    if (template.default !== null) entries.push(['tokenizer.chat_template', { type: 'string', value: template.default }]);
  }
  return { metadata: entries, tokens, chatTemplate: template?.default ?? null, bosToken: tokenText(tc['bos_token']), eosToken: tokenText(tc['eos_token']) };
}

/** transformers ≥ 4.45 writes merges as pairs; GGUF keeps "a b" strings, with a space inside a token written as U+0120 (as gguf-py does). */
function mergeStrings(merges: ReadonlyArray<string | readonly [string, string]>): string[] {
  return merges.map((m) => (typeof m === 'string' ? m : m.map((part) => part.replaceAll(' ', '\u0120')).join(' ')));
}

/** convert_hf_to_gguf's does_token_look_special. */
function looksSpecial(text: string): boolean {
  return (
    ['<pad>', '<mask>', '<2mass>', '[@BOS@]'].includes(text) ||
    (text.startsWith('<|') && text.endsWith('|>')) ||
    (text.startsWith('<\uff5c') && text.endsWith('\uff5c>')) ||
    (text.startsWith('<unused') && text.endsWith('>'))
  );
}

/**
 * A SentencePiece-style vocabulary for llama.cpp's SPM tokenizer: tokens in id order (base vocabulary, then
 * added tokens past it), types as gguf-py's LlamaHfVocab gives them. LlamaHfVocab writes every score as -1000,
 * but llama.cpp's SPM tokenizer merges the highest-scoring pair first, so equal scores would tokenize
 * differently from tokenizer.json; a token first made by the merge of rank r scores -(r + 1) instead, which is
 * the order tokenizer.json's merges (sorted by SentencePiece score when converted) apply in, and a token no
 * merge makes scores below them all.
 */
function sentencePieceVocab(vocab: Record<string, number>, merges: ReadonlyArray<string | readonly [string, string]>, added: readonly AddedToken[]) {
  const baseSize = Object.keys(vocab).length;
  const firstRank = new Map<string, number>();
  merges.forEach((m, rank) => {
    const [a, b] = typeof m === 'string' ? (m.split(' ') as [string, string]) : m;
    if (!firstRank.has(a + b)) firstRank.set(a + b, rank);
  });
  const specialIds = new Set(added.filter((t) => t.special).map((t) => t.id));
  const byId: string[] = [];
  for (const [text, id] of Object.entries(vocab)) byId[id] = text;
  const tokens: string[] = [];
  const scores: number[] = [];
  const types: number[] = [];
  for (let id = 0; id < baseSize; id++) {
    const text = byId[id] ?? '';
    tokens.push(text);
    scores.push(-(firstRank.get(text) ?? merges.length) - 1);
    types.push(/^<0x[0-9A-Fa-f]{2}>$/.test(text) ? TOKEN_TYPE.byte : specialIds.has(id) ? TOKEN_TYPE.control : TOKEN_TYPE.normal);
  }
  for (const t of [...added].filter((t) => t.id >= baseSize).sort((a, b) => a.id - b.id)) {
    tokens.push(t.content);
    scores.push(-1000);
    types.push(t.special ? TOKEN_TYPE.control : TOKEN_TYPE.userDefined);
  }
  return { tokens, scores, types };
}

const SPECIAL_KEYS = [
  ['bos', 'tokenizer.ggml.bos_token_id'],
  ['eos', 'tokenizer.ggml.eos_token_id'],
  ['unk', 'tokenizer.ggml.unknown_token_id'],
  ['sep', 'tokenizer.ggml.seperator_token_id'],
  ['pad', 'tokenizer.ggml.padding_token_id'],
  ['mask', 'tokenizer.ggml.mask_token_id'],
] as const;

type SpecialKind = (typeof SPECIAL_KEYS)[number][0];

/**
 * gguf-py's SpecialVocab: each special token named in tokenizer_config.json, found among the added tokens,
 * else config.json's `<kind>_token_id`; whether BOS/EOS are added from the post-processor, overridden by
 * tokenizer_config.json's add_bos_token/add_eos_token. Unlike gguf-py, add_bos_token is always written
 * (false when nothing adds a BOS), so llama.cpp never falls back to its per-pre-tokenizer default.
 */
function specialTokenIds(tj: TokenizerJson, tc: TokenizerConfig, modelConfig: Readonly<Record<string, unknown>>, nVocab: number) {
  const ids = new Map<SpecialKind, number>();
  const added = tj.added_tokens ?? [];
  const set = (kind: SpecialKind, id: unknown) => {
    if (typeof id === 'number' && Number.isInteger(id) && id >= 0 && id < nVocab && !ids.has(kind)) ids.set(kind, id);
  };
  let addBos: boolean | null = null;
  let addEos: boolean | null = null;
  const bosText = tokenText(tc['bos_token']);
  const eosText = tokenText(tc['eos_token']);
  const post = tj.post_processor;
  for (const p of post ? (post.processors ?? [post]) : []) {
    if (p.type !== 'TemplateProcessing' || (p.single?.length ?? 0) <= 1) continue;
    const first = p.single![0]!.SpecialToken?.id;
    const last = p.single![p.single!.length - 1]!.SpecialToken?.id;
    if (first) addBos = first === bosText;
    if (last) addEos = last === eosText;
  }
  if (typeof tc['add_bos_token'] === 'boolean') addBos = tc['add_bos_token'];
  if (typeof tc['add_eos_token'] === 'boolean') addEos = tc['add_eos_token'];
  for (const [kind] of SPECIAL_KEYS) {
    const text = tokenText(tc[`${kind}_token`]);
    if (text !== null) set(kind, added.find((t) => t.content === text)?.id);
  }
  for (const [kind] of SPECIAL_KEYS) set(kind, modelConfig[`${kind}_token_id`]);
  return { ids, addBos: addBos ?? false, addEos };
}

function tokenText(token: unknown): string | null {
  if (typeof token === 'string') return token;
  if (token && typeof token === 'object' && typeof (token as { content?: unknown }).content === 'string') return (token as { content: string }).content;
  return null;
}

/**
 * The chat template the engine trains with: chat_template.jinja first (as transformers loads it), then
 * tokenizer_config.json's chat_template (a string, or named templates of which `default` is the main one).
 */
async function chatTemplate(modelDir: string, tc: TokenizerConfig): Promise<{ default: string | null; named: Array<[string, string]> } | null> {
  const jinja = join(modelDir, 'chat_template.jinja');
  if (existsSync(jinja)) return { default: await readFile(jinja, 'utf8'), named: [] };
  const t = tc['chat_template'];
  if (typeof t === 'string') return { default: t, named: [] };
  if (Array.isArray(t)) {
    let main: string | null = null;
    const named: Array<[string, string]> = [];
    for (const { name, template } of t as Array<{ name?: string; template?: string }>) {
      if (!name || typeof template !== 'string') continue;
      if (name === 'default') main = template;
      else named.push([name.replace(/[^A-Za-z0-9]/g, '_'), template]);
    }
    return { default: main, named };
  }
  return null;
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new UserError(`${path} is not valid JSON: ${(err as Error).message}`);
  }
}
