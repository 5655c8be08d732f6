import type { EvalResult } from '../../protocol/engine-types';
import { LoraAdapter } from '../lora/lora-adapter';
import type { LoadedModel } from '../model/load-model';
import { evaluateLoss } from '../train/evaluate';
import { padTokenId } from '../data';
import { prepareData } from './training-data';

export interface EvalOptions {
  readonly adapter?: string | null;
  readonly dataset: string;
  readonly datasetDir?: string | null;
  readonly cutoffLen: number;
  readonly batchSize: number;
  readonly signal?: AbortSignal;
}

/** Loss and perplexity of a model (with an adapter when given) over every usable example of a dataset. */
export async function runEvalJob(loaded: LoadedModel, options: EvalOptions): Promise<EvalResult & { warnings: string[] }> {
  const data = await prepareData(loaded, { dataset: options.dataset, datasetDir: options.datasetDir, cutoffLen: options.cutoffLen, valSize: 0, seed: 0, dropUntrained: true });
  const adapter = options.adapter ? await LoraAdapter.load(loaded.model, options.adapter) : null;
  try {
    const { loss, tokens } = await evaluateLoss(loaded.model, data.train, options.batchSize, padTokenId(loaded.tokenizer), options.signal);
    return { loss, perplexity: Math.exp(loss), tokens, examples: data.train.length, warnings: data.warnings };
  } finally {
    adapter?.detach();
  }
}
