import * as tf from '../backend/tf';
import { collate, type TokenizedExample } from '../data';
import type { CausalLM } from '../model/causal-lm';
import { causalLmLossSum } from '../model/loss';

/** Token-weighted mean loss over examples (sum of cross-entropy / supervised tokens), in batches, no gradients. */
export async function evaluateLoss(
  model: CausalLM,
  examples: readonly TokenizedExample[],
  batchSize: number,
  padId: number,
  signal?: AbortSignal,
): Promise<{ loss: number; tokens: number }> {
  let sum = 0;
  let tokens = 0;
  for (let i = 0; i < examples.length && !signal?.aborted; i += batchSize) {
    const batch = collate(examples.slice(i, i + batchSize), padId);
    const ids = tf.tensor2d(batch.ids, [batch.batch, batch.steps], 'int32');
    const part = causalLmLossSum(model, ids, batch.labels, { keyMask: batch.keyMask });
    sum += (await part.sum.data())[0]!;
    tokens += part.tokens;
    tf.dispose([ids, part.sum]);
  }
  return { loss: tokens ? sum / tokens : NaN, tokens };
}
