/**
 * Loads a written GGUF in llama.cpp itself (the prebuilt CPU binaries of the npm package node-llama-cpp) and
 * compares its greedy continuation of a prompt, and its tokenization of the prompt text, with the engine's.
 * node-llama-cpp is ESM with native parts: it is loaded lazily, and where it cannot run on this platform the
 * check reports itself unavailable instead of failing the export.
 */
import type { Llama, LlamaContextSequence, Token } from 'node-llama-cpp';

export interface LlamaCppCheckInput {
  /** The prompt as token ids, evaluated as they are. */
  readonly promptIds: readonly number[];
  /** The engine's greedy continuation of the prompt (no stop on EOS). */
  readonly ourTokens: readonly number[];
  /** How many tokens llama.cpp generates; ourTokens.length when not given. */
  readonly maxTokens?: number;
  /** The prompt as text: llama.cpp tokenizes it (special tokens parsed, none added) for comparison with promptIds. */
  readonly promptText?: string;
}

export type LlamaCppCheck =
  | {
      readonly available: true;
      /** llama.cpp's greedy tokens. */
      readonly tokens: number[];
      /** How many leading tokens equal ours. */
      readonly agree: number;
      readonly total: number;
      /**
       * llama.cpp's greedy choice at each step when fed our tokens so far (teacher forcing): one early flip
       * between near-tied tokens derails a free run, but not this. The steps whose choice differs from ours.
       */
      readonly forcedMismatches: number[];
      /** llama.cpp's ids for promptText and whether they equal promptIds; null without promptText. */
      readonly tokenization: { readonly ids: number[]; readonly equal: boolean } | null;
      readonly seconds: number;
    }
  | { readonly available: false; readonly reason: string };

let llamaInstance: Promise<Llama> | null = null;
/** llama.cpp's log lines of the current check, for the error when a file does not load. */
const logLines: string[] = [];

async function llama(): Promise<Llama> {
  llamaInstance ??= import('node-llama-cpp').then(({ getLlama, LlamaLogLevel }) =>
    // Only the prebuilt CPU binaries: nothing may be downloaded or compiled while exporting.
    getLlama({ gpu: false, build: 'never', skipDownload: true, progressLogs: false, logLevel: LlamaLogLevel.warn, logger: (_level, message) => void logLines.push(message) }),
  );
  try {
    return await llamaInstance;
  } catch (err) {
    llamaInstance = null;
    throw err;
  }
}

export async function checkInLlamaCpp(file: string, input: LlamaCppCheckInput): Promise<LlamaCppCheck> {
  let runtime: Llama;
  try {
    runtime = await llama();
  } catch (err) {
    return { available: false, reason: `llama.cpp (node-llama-cpp) cannot run here: ${(err as Error).message.split('\n')[0]}` };
  }
  const t0 = performance.now();
  const maxTokens = input.maxTokens ?? input.ourTokens.length;
  logLines.length = 0;
  let model;
  try {
    model = await runtime.loadModel({ modelPath: file, gpuLayers: 0 });
  } catch (err) {
    throw new Error(`llama.cpp could not load ${file}: ${(err as Error).message}\n${logLines.join('')}`);
  }
  try {
    const tokenization = input.promptText === undefined ? null : equalIds(model.tokenize(input.promptText, true), input.promptIds);
    const context = await model.createContext({ contextSize: Math.max(256, input.promptIds.length + maxTokens + 16), sequences: 1, threads: 1 });
    try {
      const sequence = context.getSequence();
      const tokens = await greedy(sequence, input.promptIds, maxTokens, null);
      await sequence.clearHistory();
      const forced = await greedy(sequence, input.promptIds, Math.min(maxTokens, input.ourTokens.length), input.ourTokens);
      let agree = 0;
      while (agree < Math.min(tokens.length, input.ourTokens.length) && tokens[agree] === input.ourTokens[agree]) agree++;
      const forcedMismatches = forced.flatMap((token, step) => (token === input.ourTokens[step] ? [] : [step]));
      return { available: true, tokens, agree, total: maxTokens, forcedMismatches, tokenization, seconds: (performance.now() - t0) / 1000 };
    } finally {
      await context.dispose();
    }
  } finally {
    await model.dispose();
  }
}

/**
 * `count` greedy tokens after the prompt, never stopping at an end-of-generation token. With `feed`, each
 * step's input is feed[step] instead of the token just chosen.
 */
async function greedy(sequence: LlamaContextSequence, promptIds: readonly number[], count: number, feed: readonly number[] | null): Promise<number[]> {
  const out: number[] = [];
  if (count === 0) return out;
  const steps = sequence.evaluate([...promptIds] as Token[], { temperature: 0, yieldEogToken: true });
  try {
    let next = await steps.next();
    while (!next.done) {
      out.push(next.value as number);
      if (out.length >= count) break;
      next = await steps.next(feed ? (feed[out.length - 1] as Token) : undefined);
    }
  } finally {
    await steps.return();
  }
  return out;
}

function equalIds(ids: readonly number[], expected: readonly number[]) {
  return { ids: [...ids], equal: ids.length === expected.length && ids.every((id, i) => id === expected[i]) };
}
