/**
 * Causal LM cross-entropy as transformers defines it: the logits at position t are scored against the
 * label at t+1, labels of -100 are not supervised. Returned as a sum, so callers normalise by the
 * supervised tokens of a whole optimizer step (gradient accumulation) or of a whole evaluation.
 */
import * as tf from '../backend/tf';
import { gatherRows } from '../ops/gather-rows';
import { lmHeadCrossEntropy } from '../ops/lm-head-cross-entropy';
import { reshape } from '../ops/view-ops';
import { IGNORE_INDEX } from '../ignore-index';
import type { CausalLM, ForwardOptions } from './causal-lm';

/** Flat indices (b*T + t) of positions whose next-token label is supervised, and those labels. */
export function supervisedPositions(labels: ArrayLike<number>, batch: number, steps: number): { rows: Int32Array; targets: Int32Array } {
  const rows: number[] = [];
  const targets: number[] = [];
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < steps - 1; t++) {
      const label = labels[b * steps + t + 1]!;
      if (label !== IGNORE_INDEX) {
        rows.push(b * steps + t);
        targets.push(label);
      }
    }
  }
  return { rows: Int32Array.from(rows), targets: Int32Array.from(targets) };
}

/**
 * The summed loss of a batch, running the LM head only on supervised positions (prompt tokens need no logits).
 * ids: [B, T]; labels: [B*T] flat. Returns the sum and the number of supervised tokens.
 */
export function causalLmLossSum(
  model: CausalLM,
  ids: tf.Tensor2D,
  labels: ArrayLike<number>,
  options: ForwardOptions = {},
): { sum: tf.Scalar; tokens: number } {
  const [B, T] = ids.shape;
  const { rows, targets } = supervisedPositions(labels, B, T);
  if (rows.length === 0) return { sum: tf.scalar(0), tokens: 0 };
  const sum = tf.tidy(() => {
    const hidden = reshape(model.hiddenStates(ids, options), [B * T, -1]); // [B*T, hidden]
    const picked = gatherRows(hidden, rows) as tf.Tensor2D; // [N, hidden]
    return lmHeadCrossEntropy(picked, model.lmHead.weight, targets);
  });
  return { sum, tokens: rows.length };
}
