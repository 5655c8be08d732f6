import { describe, expect, test } from 'vitest';
import { splitValidation } from '../../src-main/engine/data/split';
import { UserError } from '../../src-main/engine/errors';

const items = Array.from({ length: 24 }, (_, i) => i);

/** Both parts are in the original order and together hold every item once. */
function expectPartition(train: number[], val: number[], all: readonly number[]) {
  expect([...train].sort((a, b) => a - b)).toEqual(train);
  expect([...val].sort((a, b) => a - b)).toEqual(val);
  expect([...train, ...val].sort((a, b) => a - b)).toEqual(all);
}

describe('splitValidation', () => {
  test('0 holds out nothing', () => {
    expect(splitValidation(items, 0, 1)).toEqual({ train: items, val: [] });
  });

  test('a fraction is rounded, and at least 1', () => {
    const { train, val } = splitValidation(items, 0.1, 42);
    expect(val).toHaveLength(2); // round(2.4)
    expect(train).toHaveLength(22);
    expectPartition(train, val, items);
    expect(splitValidation(items, 0.15, 42).val).toHaveLength(4); // round(3.6)
    expect(splitValidation(items, 0.001, 42).val).toHaveLength(1);
  });

  test('a value of 1 or more is a count', () => {
    const { train, val } = splitValidation(items, 5, 3);
    expect(val).toHaveLength(5);
    expectPartition(train, val, items);
    expect(splitValidation(items, 1, 3).val).toHaveLength(1);
    expect(splitValidation(items, 23, 3).train).toHaveLength(1);
  });

  test('the same seed gives the same split; seeds differ', () => {
    const a = splitValidation(items, 6, 7);
    expect(splitValidation(items, 6, 7)).toEqual(a);
    const others = [1, 2, 3, 4, 5].map((seed) => splitValidation(items, 6, seed).val);
    expect(others.some((v) => JSON.stringify(v) !== JSON.stringify(a.val))).toBe(true);
  });

  test('held-out items are spread over the dataset, not taken from one end', () => {
    const counts = new Array<number>(24).fill(0);
    for (let seed = 0; seed < 400; seed++) for (const v of splitValidation(items, 6, seed).val) counts[v]!++;
    // 400 draws of 6 of 24: each item is expected 100 times.
    for (const c of counts) expect(c).toBeGreaterThan(60);
  });

  test('works on any item type and does not change the input', () => {
    const rows = items.map((i) => ({ row: i + 1 }));
    const copy = structuredClone(rows);
    const { train, val } = splitValidation(rows, 0.25, 9);
    expect(rows).toEqual(copy);
    expect(val).toHaveLength(6);
    expect(new Set([...train, ...val]).size).toBe(24);
  });

  test('a split that leaves no training example is refused', () => {
    expect(() => splitValidation(items, 24, 1)).toThrow(UserError);
    expect(() => splitValidation(items, 30, 1)).toThrow(/leave none for training/);
    expect(() => splitValidation([1, 2], 0.9, 1)).toThrow(UserError); // round(1.8) = 2 of 2
    expect(() => splitValidation([1], 0.1, 1)).toThrow(UserError); // at least 1 of 1
    expect(() => splitValidation([], 0, 1)).toThrow(UserError);
  });

  test('nonsense sizes are refused', () => {
    expect(() => splitValidation(items, -0.1, 1)).toThrow(UserError);
    expect(() => splitValidation(items, 2.5, 1)).toThrow(/neither a fraction/);
    expect(() => splitValidation(items, Number.NaN, 1)).toThrow(UserError);
  });
});
