/**
 * Two pieces of the board that are plain arithmetic: the smoothed loss line (a NaN loss is a gap, and the line
 * goes on after it) and the presets fitted to the chosen data (a run that draws a curve, evaluates a few times
 * and fits the model's context), checked against the engine's own step count.
 */
import { describe, expect, it } from 'vitest';
import { splitValidation } from '../../src-main/engine/data/split';
import { DataOrder } from '../../src-main/engine/train/data-order';
import { smoothLoss } from '../../src-renderer/charts/loss-smoothing';
import { fitPreset, heldOut } from '../../src-renderer/state/preset-fitting';
import { PRESETS } from '../../src-renderer/state/training-presets';

describe('smoothed loss', () => {
  it('leaves a gap at a missing loss and goes on after it from the last value', () => {
    const values = [3, 2, null, Number.NaN, 1, 1];
    const weight = 1.8 * (1 / (1 + Math.exp(-0.05 * values.length)) - 0.5);
    const smooth = smoothLoss(values);
    const second = 3 * weight + 2 * (1 - weight);
    const fifth = second * weight + 1 * (1 - weight);
    expect(smooth).toEqual([3, second, null, null, fifth, fifth * weight + 1 - weight]);
  });

  it('starts at the first value it has', () => {
    expect(smoothLoss([null, 2, 2])).toEqual([null, 2, 2]);
  });
});

/** Optimizer steps of a run with these values over `examples`, as the engine counts them. */
function engineSteps(values: ReturnType<typeof fitPreset>, examples: number): number {
  const n = values.numbers;
  const { train } = splitValidation(Array.from({ length: examples }, (_, i) => i), Number(n.val_size), Number(n.seed));
  const order = new DataOrder(train.length, Number(n.per_device_train_batch_size), Number(n.gradient_accumulation_steps), true, Number(n.seed));
  return order.totalSteps(Number(n.num_train_epochs), values.duration === 'steps' ? Number(n.max_steps) : -1);
}

describe('presets fitted to the data', () => {
  it('leave Quick test as written for the sample dataset (40 steps, a point every 2, evaluation every 10, checkpoint at 20)', () => {
    expect(fitPreset('quick', { examples: 24, contextLength: 512 })).toEqual(PRESETS.quick);
  });

  it('give Balanced on the 24-example sample a curve and several evaluations within the demo model\'s context', () => {
    const fitted = fitPreset('balanced', { examples: 24, contextLength: 512 });
    const steps = engineSteps(fitted, 24);
    const n = fitted.numbers;
    expect(n.cutoff_len).toBe('512');
    expect(steps).toBe(18);
    expect(steps / Number(n.logging_steps)).toBeGreaterThanOrEqual(10);
    expect(Math.floor(steps / Number(n.eval_steps))).toBeGreaterThanOrEqual(3);
    expect(Number(n.save_steps)).toBeLessThan(steps);
    expect(Number(n.eval_steps) % Number(n.logging_steps)).toBe(0);
  });

  it('keep a point every ~5% and an evaluation every quarter on a large dataset', () => {
    const fitted = fitPreset('balanced', { examples: 20_000, contextLength: 4096 });
    const steps = engineSteps(fitted, 20_000);
    const n = fitted.numbers;
    expect(n.gradient_accumulation_steps).toBe(PRESETS.balanced.numbers.gradient_accumulation_steps);
    expect(n.cutoff_len).toBe(PRESETS.balanced.numbers.cutoff_len);
    expect(steps / Number(n.logging_steps)).toBeGreaterThanOrEqual(15);
    expect(steps / Number(n.logging_steps)).toBeLessThanOrEqual(50);
    expect(Math.floor(steps / Number(n.eval_steps))).toBe(4);
    expect(Number(n.eval_steps) % Number(n.logging_steps)).toBe(0);
  });

  it('never ask for a batch larger than the training set', () => {
    const fitted = fitPreset('quick', { examples: 6, contextLength: null });
    expect(Number(fitted.numbers.per_device_train_batch_size)).toBe(6 - heldOut(Number(PRESETS.quick.numbers.val_size), 6));
  });

  it('count held-out examples as the engine splits them', () => {
    for (const [valSize, examples] of [[0.1, 24], [0.1, 3], [4, 24], [0, 10], [0.25, 10]] as const) {
      expect(heldOut(valSize, examples)).toBe(splitValidation(Array.from({ length: examples }, (_, i) => i), valSize, 1).val.length);
    }
  });
});
