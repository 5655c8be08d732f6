import { UserError } from '../errors';
import { stopTokenIds } from '../formats/generation-config';
import type { ChatMessage } from '../formats/tokenizer';
import { generate } from '../model/generate';
import type { LoadedModel } from '../model/load-model';
import type { Sampling } from '../model/sampling';

/** What to continue: raw text, a chat (rendered with the model's template plus the generation prompt), or token ids. */
export type PromptInput =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'chat'; readonly messages: readonly ChatMessage[] }
  | { readonly kind: 'ids'; readonly ids: readonly number[] };

export interface GenerateTextOptions {
  readonly maxNewTokens: number;
  readonly sampling: Sampling;
  readonly ignoreEos: boolean;
  readonly onToken?: (id: number, textSoFar: string) => void;
  readonly signal?: AbortSignal;
}

export interface GenerateTextResult {
  readonly promptIds: number[];
  readonly ids: number[];
  readonly text: string;
  readonly tokensPerSecond: number;
}

export function promptIds(loaded: LoadedModel, prompt: PromptInput): number[] {
  if (prompt.kind === 'ids') {
    const bad = prompt.ids.find((id) => !Number.isInteger(id) || id < 0 || id >= loaded.config.vocabSize);
    if (bad !== undefined) throw new UserError(`prompt id ${bad} is outside the vocabulary (0..${loaded.config.vocabSize - 1})`);
    return [...prompt.ids];
  }
  if (prompt.kind === 'chat') return loaded.tokenizer.encodeChat(prompt.messages, true);
  return loaded.tokenizer.encode(prompt.text, true);
}

export async function generateText(loaded: LoadedModel, prompt: PromptInput, options: GenerateTextOptions): Promise<GenerateTextResult> {
  const ids = promptIds(loaded, prompt);
  if (ids.length === 0) throw new UserError('the prompt is empty');
  const stopIds = options.ignoreEos ? [] : await stopTokenIds(loaded.dir, loaded.config);
  const produced: number[] = [];
  const start = performance.now();
  const out = await generate(loaded.model, ids, {
    maxNewTokens: options.maxNewTokens,
    sampling: options.sampling,
    stopIds,
    signal: options.signal,
    onToken: (id) => {
      produced.push(id);
      options.onToken?.(id, loaded.tokenizer.decode(produced));
    },
  });
  const seconds = (performance.now() - start) / 1000;
  return { promptIds: ids, ids: out, text: loaded.tokenizer.decode(out), tokensPerSecond: out.length / seconds };
}
