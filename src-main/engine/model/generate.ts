import * as tf from '../backend/tf';
import { seededRandom } from '../seeded-random';
import type { CausalLM } from './causal-lm';
import { KVCache } from './kv-cache';
import { argmax, sampleToken, type Sampling } from './sampling';

export interface GenerateOptions {
  readonly maxNewTokens: number;
  readonly sampling: Sampling;
  /** Token ids that end generation; empty to run to maxNewTokens. */
  readonly stopIds: readonly number[];
  /** Called with each new token as it is chosen (for streaming to a chat view). */
  readonly onToken?: (id: number) => void;
  readonly signal?: AbortSignal;
}

/** Autoregressive generation for one prompt with a KV cache: the prompt is run once, then one position per token. */
export async function generate(model: CausalLM, promptIds: readonly number[], options: GenerateOptions): Promise<number[]> {
  const cache = new KVCache(model.config.numLayers);
  const random = options.sampling.kind === 'sample' ? seededRandom(options.sampling.seed) : null;
  const produced: number[] = [];
  try {
    let input = [...promptIds];
    while (produced.length < options.maxNewTokens && !options.signal?.aborted) {
      const last = tf.tidy(() => {
        const logits = model.forward(tf.tensor2d([input], [1, input.length], 'int32'), { cache }); // [1, T, V]
        return logits.slice([0, input.length - 1, 0], [1, 1, -1]).reshape([-1]); // [V]
      });
      const values = await last.data();
      last.dispose();
      // On CPU backends data() resolves without reaching the event loop: yield, so a cancel message gets in.
      await new Promise((resolve) => setImmediate(resolve));
      const s = options.sampling;
      const next = s.kind === 'greedy' ? argmax(values) : sampleToken(values, s.temperature, s.topP, random!);
      produced.push(next);
      options.onToken?.(next);
      if (options.stopIds.includes(next)) break;
      input = [next];
    }
    return produced;
  } finally {
    cache.dispose();
  }
}
