/**
 * Predict and score, as LLaMA-Factory's `do_predict` with `predict_with_generate`: for each example, the answer is
 * generated from its prompt (the conversation up to its last answer, rendered with the model's chat template) and
 * scored against that answer (metrics/similarity.ts). Several models are compared on one loaded base model: the
 * base alone, then each adapter (checkpoints, the final one) attached in place and detached again, no reload.
 * Each model writes generated_predictions.jsonl and predict_results.json as LLaMA-Factory names them; the folder
 * also gets comparison.json, every model's metrics and each example's predictions side by side.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PredictComparison, PredictProgress, PredictTargetResult } from '../../protocol/engine-types';
import type { Conversation } from '../data';
import { stopTokenIds } from '../formats/generation-config';
import { LoraAdapter } from '../lora/lora-adapter';
import { meanScores, scorePrediction, type GenerationScores } from '../metrics/similarity';
import { generate } from '../model/generate';
import type { LoadedModel } from '../model/load-model';
import type { Sampling } from '../model/sampling';
import { writeFolderAtomic } from '../atomic-files';

export const PREDICTIONS_FILE = 'generated_predictions.jsonl';
export const RESULTS_FILE = 'predict_results.json';
export const COMPARISON_FILE = 'comparison.json';

/** A model to evaluate: the base alone (adapter null), or the base with an adapter folder. */
export interface PredictTarget {
  readonly name: string;
  readonly adapter: string | null;
}

export interface PredictOptions {
  readonly targets: readonly PredictTarget[];
  readonly examples: readonly Conversation[];
  readonly maxNewTokens: number;
  readonly sampling: Sampling;
  /** The folder written (under a temporary name until done). */
  readonly out: string;
  readonly onProgress?: (p: PredictProgress) => void;
  /** Stops after the example in progress; what was scored is kept and marked partial. */
  readonly signal?: AbortSignal;
}

/** An example as predicted: the prompt messages, and the answer it is scored against. */
function splitExample(c: Conversation): { prompt: Conversation['messages']; label: string } {
  const last = c.messages.at(-1)!;
  return { prompt: c.messages.slice(0, -1), label: last.content };
}

export async function runPredictJob(loaded: LoadedModel, o: PredictOptions): Promise<PredictComparison> {
  const stopIds = await stopTokenIds(loaded.dir, loaded.config);
  const examples = o.examples.map(splitExample);
  const prompts = examples.map((e) => loaded.tokenizer.encodeChat(e.prompt, true));
  const total = o.targets.length * examples.length;
  const started = performance.now();
  let done = 0;
  return writeFolderAtomic(o.out, async (tmp) => {
    const targets: PredictTargetResult[] = [];
    const predictions = examples.map(() => ({}) as Record<string, string>);
    for (const target of o.targets) {
      if (o.signal?.aborted) break;
      const adapter = target.adapter ? await LoraAdapter.load(loaded.model, target.adapter) : null;
      const dir = join(tmp, target.name);
      await mkdir(dir);
      const file = createWriteStream(join(dir, PREDICTIONS_FILE));
      const scores: GenerationScores[] = [];
      const t0 = performance.now();
      try {
        for (const [i, e] of examples.entries()) {
          if (o.signal?.aborted) break;
          const ids = await generate(loaded.model, prompts[i]!, { maxNewTokens: o.maxNewTokens, sampling: o.sampling, stopIds, signal: o.signal });
          // A reply cut by maxNewTokens may end inside a character: its replacement mark is no part of the answer.
          const predict = loaded.tokenizer.decode(ids.filter((id) => !stopIds.includes(id))).replace(/\uFFFD+$/, '');
          predictions[i]![target.name] = predict;
          scores.push(await scorePrediction(predict, e.label));
          file.write(JSON.stringify({ prompt: loaded.tokenizer.renderChat(e.prompt, true), predict, label: e.label }) + '\n');
          done++;
          const elapsed = (performance.now() - started) / 1000;
          o.onProgress?.({ target: target.name, examplesDone: i + 1, examples: examples.length, done, total, etaSeconds: (elapsed / done) * (total - done) });
        }
      } finally {
        adapter?.detach();
        await new Promise((resolve) => file.end(resolve));
      }
      const result: PredictTargetResult = {
        name: target.name,
        adapter: target.adapter,
        samples: scores.length,
        partial: scores.length < examples.length,
        metrics: scores.length ? predictMetrics(meanScores(scores)) : null,
        seconds: (performance.now() - t0) / 1000,
      };
      targets.push(result);
      await writeJson(join(dir, RESULTS_FILE), { ...result.metrics, predict_samples: result.samples, predict_runtime: result.seconds, ...(result.partial ? { partial: true } : {}) });
    }
    const comparison: PredictComparison = {
      out: o.out,
      targets,
      best: bestTarget(targets),
      examples: examples.map((e, i) => ({ prompt: e.prompt.at(-1)?.content ?? '', label: e.label, predictions: predictions[i]! })),
    };
    await writeJson(join(tmp, COMPARISON_FILE), comparison);
    return comparison;
  });
}

/** The metrics under LLaMA-Factory's names (predict_bleu-4, ...), in LLaMA-Factory's order, then EM and F1. */
export function predictMetrics(s: GenerationScores): Record<string, number> {
  return {
    'predict_bleu-4': s['bleu-4'],
    'predict_rouge-1': s['rouge-1'],
    'predict_rouge-2': s['rouge-2'],
    'predict_rouge-l': s['rouge-l'],
    predict_em: s.em,
    predict_f1: s.f1,
  };
}

/** The model with the highest ROUGE-L (ties: BLEU-4), among those that scored every example. */
function bestTarget(targets: readonly PredictTargetResult[]): string | null {
  const whole = targets.filter((t) => t.metrics && !t.partial);
  const score = (t: PredictTargetResult) => [t.metrics!['predict_rouge-l']!, t.metrics!['predict_bleu-4']!] as const;
  return whole.reduce<PredictTargetResult | null>((b, t) => (!b || score(t)[0] > score(b)[0] || (score(t)[0] === score(b)[0] && score(t)[1] > score(b)[1]) ? t : b), null)?.name ?? null;
}

const writeJson = (path: string, value: unknown) => writeFile(path, JSON.stringify(value, null, 2) + '\n');
