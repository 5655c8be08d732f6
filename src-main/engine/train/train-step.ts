/**
 * One optimizer step as training runs it, in two halves. Queue: forward and backward of every micro-batch, their
 * gradients summed, divided by the step's supervised tokens, clipped by global norm and applied by AdamW, with
 * nothing read back (gradients.ts). Read: the loss and the gradient norm. The trainer runs both; `bench` times
 * the same two, so what it measures is what training runs.
 */
import * as tf from '../backend/tf';
import type { RunPhase } from '../../protocol/run-plan';
import type { Batch } from '../data';
import type { LoraAdapter } from '../lora/lora-adapter';
import type { CausalLM } from '../model/causal-lm';
import { causalLmLossSum } from '../model/loss';
import { freeingTapeOnFailure } from '../ops/tape-state';
import { deriveSeed } from '../seeded-random';
import type { AdamW } from './adamw';
import { queueUpdate } from './gradients';

export interface StepOptions {
  /** The run's seed and the step's index (0-based) seed each micro-batch's dropout masks. */
  readonly seed: number;
  readonly step: number;
  readonly lr: number;
  readonly maxGradNorm: number;
  /** Gradient checkpointing. */
  readonly recomputeLayers: boolean;
  /** Told as the step moves on to each micro-batch's forward and backward pass, then the update (an out-of-memory message names it). */
  readonly onPhase?: (phase: RunPhase) => void;
}

export interface StepResult {
  /** Token-normalised loss; NaN when the step had no supervised token (and so no update). */
  readonly loss: number;
  readonly gradNorm: number;
  readonly lr: number;
  /** Supervised tokens, and input (non-padding) tokens. */
  readonly tokens: number;
  readonly inputTokens: number;
}

interface QueuedStep {
  readonly losses: tf.Tensor[];
  readonly norm: tf.Scalar | null;
  readonly tokens: number;
  readonly inputTokens: number;
  readonly lr: number;
}

export function queueStep(model: CausalLM, adapter: LoraAdapter, optimizer: AdamW, microBatches: readonly Batch[], o: StepOptions): QueuedStep {
  const variables = adapter.parameters().map((p) => p.variable);
  // The step's gradients summed over its micro-batches, as one flat vector.
  let summed: tf.Tensor1D | null = null;
  const losses: tf.Tensor[] = [];
  let tokens = 0;
  let inputTokens = 0;
  try {
    for (const [i, batch] of microBatches.entries()) {
      inputTokens += batch.keyMask.reduce((a, b) => a + b, 0);
      if (batch.tokens === 0) continue;
      adapter.setTraining(deriveSeed(o.seed, o.step, i));
      const { value, grads } = microBatchGradients(model, batch, variables, o.recomputeLayers, o.onPhase);
      losses.push(value);
      tokens += batch.tokens;
      const flat = optimizer.flatten(grads);
      tf.dispose(Object.values(grads));
      if (summed) {
        const total: tf.Tensor1D = summed.add(flat);
        tf.dispose([summed, flat]);
        summed = total;
      } else {
        summed = flat;
      }
    }
    adapter.setTraining(null);
    // Nothing supervised in this step (every answer cut off by cutoff_len): no gradient, no update.
    if (!summed) return { losses, norm: null, tokens, inputTokens, lr: o.lr };
    o.onPhase?.('the optimizer update');
    const gradient: tf.Tensor1D = summed;
    // In a scope of its own, so that an update that fails midway leaves none of its intermediates behind.
    const norm = tf.tidy(() => queueUpdate(optimizer, gradient, tokens, o.maxGradNorm, o.lr));
    return { losses, norm, tokens, inputTokens, lr: o.lr };
  } catch (err) {
    // The step failed (out of memory): what its earlier micro-batches made is not read.
    tf.dispose([...losses, ...(summed ? [summed] : [])]);
    adapter.setTraining(null);
    throw err;
  }
}

export async function readStep(q: QueuedStep): Promise<StepResult> {
  const lossSum = (await Promise.all(q.losses.map((l) => l.data()))).reduce((a, l) => a + l[0]!, 0);
  const gradNorm = q.norm ? (await q.norm.data())[0]! : 0;
  tf.dispose([...q.losses, ...(q.norm ? [q.norm] : [])]);
  return { loss: q.tokens ? lossSum / q.tokens : NaN, gradNorm, lr: q.lr, tokens: q.tokens, inputTokens: q.inputTokens };
}

/** Forward and backward of one micro-batch, queued: its summed loss and the LoRA weights' gradients by name. */
export function microBatchGradients(model: CausalLM, batch: Batch, variables: tf.Variable[], recomputeLayers: boolean, onPhase?: (phase: RunPhase) => void) {
  const ids = tf.tensor2d(batch.ids, [batch.batch, batch.steps], 'int32');
  try {
    return freeingTapeOnFailure(() =>
      tf.variableGrads(() => {
        onPhase?.('the forward pass');
        const { sum } = causalLmLossSum(model, ids, batch.labels, { keyMask: batch.keyMask, recomputeLayers });
        // variableGrads runs the backward pass once this returns.
        onPhase?.('the backward pass');
        return sum;
      }, variables),
    );
  } finally {
    ids.dispose();
  }
}
