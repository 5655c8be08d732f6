import { describe, expect, test } from 'vitest';
import { learningRate, warmupStepsOf } from '../../src-main/engine/train/lr-schedule';

const lrs = (type: 'linear' | 'cosine' | 'constant' | 'constant_with_warmup', totalSteps: number, warmupSteps: number) =>
  Array.from({ length: totalSteps }, (_, s) => learningRate({ type, baseLr: 1, totalSteps, warmupSteps }, s));

// Values of transformers' get_scheduler(...) lr_lambda, stepped once per optimizer step.
describe('learning-rate schedules', () => {
  test('linear with warmup', () => {
    expect(lrs('linear', 6, 2)).toEqual([0, 0.5, 1, 0.75, 0.5, 0.25]);
  });
  test('cosine with warmup', () => {
    const got = lrs('cosine', 6, 2);
    const want = [0, 0.5, 1, 0.5 * (1 + Math.cos(Math.PI / 4)), 0.5, 0.5 * (1 + Math.cos((3 * Math.PI) / 4))];
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 12));
  });
  test('constant ignores warmup; constant_with_warmup ramps then holds', () => {
    expect(lrs('constant', 4, 2)).toEqual([1, 1, 1, 1]);
    expect(lrs('constant_with_warmup', 5, 2)).toEqual([0, 0.5, 1, 1, 1]);
  });
  test('warmup_ratio rounds up, warmup_steps wins', () => {
    expect(warmupStepsOf(100, 0, 0.05)).toBe(5);
    expect(warmupStepsOf(30, 0, 0.05)).toBe(2);
    expect(warmupStepsOf(30, 7, 0.5)).toBe(7);
  });
});
