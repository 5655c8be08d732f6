import * as tf from '../backend/tf';

/**
 * The additive attention bias for T new queries over S = past + T keys, [B, 1, 1, T, S]:
 * 0 where a query may look (causal, key not padding, inside the sliding window), a large negative elsewhere.
 * `keyMask` is [B, S] (1 = real token), or null for no padding.
 */
export function attentionBias(batch: number, past: number, steps: number, keyMask: ArrayLike<number> | null, slidingWindow: number | null): tf.Tensor {
  const keys = past + steps;
  const bias = new Float32Array(batch * steps * keys);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < steps; t++) {
      const query = past + t;
      for (let s = 0; s < keys; s++) {
        const visible =
          s <= query && (keyMask === null || keyMask[b * keys + s] !== 0) && (slidingWindow === null || query - s < slidingWindow);
        if (!visible) bias[(b * steps + t) * keys + s] = MASKED;
      }
    }
  }
  return tf.tensor(bias, [batch, 1, 1, steps, keys]); // [B, 1, 1, T, S]
}

/** exp(MASKED - max) is exactly 0 in float32, without the NaN that -Infinity gives on a fully masked row. */
const MASKED = -1e9;
