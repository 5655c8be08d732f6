/**
 * A model's tokenizer (`tokenizer.json` through @huggingface/tokenizers) and its chat template
 * (`tokenizer_config.json` or `chat_template.jinja`, rendered with @huggingface/jinja).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Template } from '@huggingface/jinja';
import { Tokenizer } from '@huggingface/tokenizers';
import { UserError } from '../errors';
import { readJsonFile, readTextFile } from '../text-files';

export type Role = 'system' | 'user' | 'assistant';
export interface ChatMessage {
  readonly role: Role;
  readonly content: string;
}

interface TokenizerConfig {
  bos_token?: unknown;
  eos_token?: unknown;
  pad_token?: unknown;
  chat_template?: unknown;
}

export class ChatTokenizer {
  private constructor(
    private readonly tokenizer: Tokenizer,
    private readonly template: Template | null,
    readonly bosToken: string | null,
    readonly eosToken: string | null,
    readonly padToken: string | null,
    /** The most characters one token stands for: text longer than n times this holds more than n tokens. */
    readonly maxTokenChars: number,
  ) {}

  static async load(dir: string): Promise<ChatTokenizer> {
    const tokenizerPath = join(dir, 'tokenizer.json');
    if (!existsSync(tokenizerPath)) {
      throw new UserError(
        `${dir} has no tokenizer.json`,
        'TuneBoard needs the fast-tokenizer file tokenizer.json; save it with transformers (tokenizer.save_pretrained) into the model folder.',
      );
    }
    const tokenizerJson = await readJsonFile(tokenizerPath);
    const configPath = join(dir, 'tokenizer_config.json');
    const config = (existsSync(configPath) ? await readJsonFile(configPath) : {}) as TokenizerConfig;
    const source = await chatTemplateSource(dir, config);
    let template: Template | null = null;
    if (source) {
      try {
        template = new Template(source);
      } catch (err) {
        throw new UserError(`${dir}: the chat template cannot be parsed: ${(err as Error).message}`);
      }
    }
    let tokenizer: Tokenizer;
    try {
      tokenizer = new Tokenizer(tokenizerJson as object, config);
    } catch (err) {
      throw new UserError(`${tokenizerPath} cannot be loaded: ${(err as Error).message}`);
    }
    return new ChatTokenizer(tokenizer, template, tokenText(config.bos_token), tokenText(config.eos_token), tokenText(config.pad_token), longestToken(tokenizerJson));
  }

  get hasChatTemplate(): boolean {
    return this.template !== null;
  }

  /** Plain text to ids; `addSpecialTokens` applies the tokenizer's post-processor (a BOS for Llama 3, say). */
  encode(text: string, addSpecialTokens = true): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: addSpecialTokens }).ids;
  }

  decode(ids: readonly number[], skipSpecialTokens = true): string {
    return this.tokenizer.decode([...ids], { skip_special_tokens: skipSpecialTokens });
  }

  tokenId(token: string): number | undefined {
    return this.tokenizer.token_to_id(token);
  }

  /** The conversation rendered as text, as transformers' `apply_chat_template(..., tokenize=False)`. */
  renderChat(messages: readonly ChatMessage[], addGenerationPrompt: boolean): string {
    if (!this.template) {
      throw new UserError('this model has no chat template', 'Use a prompt instead of chat messages, or pick an instruct model whose tokenizer_config.json or chat_template.jinja defines one.');
    }
    return this.template.render({
      messages: messages.map((m) => ({ role: m.role, content: m.content })),
      bos_token: this.bosToken ?? '',
      eos_token: this.eosToken ?? '',
      add_generation_prompt: addGenerationPrompt,
    });
  }

  /** As transformers' `apply_chat_template(..., tokenize=True)`: the template supplies special tokens, none are added. */
  encodeChat(messages: readonly ChatMessage[], addGenerationPrompt: boolean): number[] {
    return this.encode(this.renderChat(messages, addGenerationPrompt), false);
  }
}

async function chatTemplateSource(dir: string, config: TokenizerConfig): Promise<string | null> {
  const jinjaPath = join(dir, 'chat_template.jinja');
  if (existsSync(jinjaPath)) return readTextFile(jinjaPath);
  const t = config.chat_template;
  if (typeof t === 'string') return t;
  // Older configs list several named templates; `default` is the one apply_chat_template uses.
  if (Array.isArray(t)) {
    const named = t as Array<{ name?: string; template?: string }>;
    return (named.find((x) => x.name === 'default') ?? named[0])?.template ?? null;
  }
  const jsonPath = join(dir, 'chat_template.json');
  if (existsSync(jsonPath)) return ((await readJsonFile(jsonPath)) as { chat_template?: string }).chat_template ?? null;
  return null;
}

/**
 * The longest token of tokenizer.json's vocabulary (BPE's map or Unigram's list) and added tokens, in the
 * characters of its vocabulary form: a byte-level symbol is one byte, so at most one character of text.
 */
function longestToken(json: unknown): number {
  const { model, added_tokens: added } = json as { model?: { vocab?: unknown }; added_tokens?: Array<{ content?: string }> };
  const vocab = model?.vocab;
  const pieces = Array.isArray(vocab) ? vocab.map((v) => String((v as unknown[])[0])) : Object.keys((vocab ?? {}) as object);
  let longest = 1;
  for (const p of pieces) longest = Math.max(longest, [...p].length);
  for (const t of added ?? []) longest = Math.max(longest, [...(t.content ?? '')].length);
  return longest;
}

/** Special tokens appear as strings or as AddedToken objects (`{"content": ...}`). */
function tokenText(token: unknown): string | null {
  if (typeof token === 'string') return token;
  if (token && typeof token === 'object' && typeof (token as { content?: unknown }).content === 'string') return (token as { content: string }).content;
  return null;
}
