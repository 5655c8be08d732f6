/** Sizes and counts as the CLI and the board write them: decimal units, three significant digits. */
import { expect, test } from 'vitest';
import { formatBytes, formatCount } from '../../src-main/protocol/quantities';

test('formatBytes', () => {
  expect(formatBytes(0)).toBe('0 B');
  expect(formatBytes(999)).toBe('999 B');
  expect(formatBytes(1_770_000)).toBe('1.77 MB');
  expect(formatBytes(812_100_000)).toBe('812 MB');
  expect(formatBytes(13_900_000_000)).toBe('13.9 GB');
  expect(formatBytes(25.04e9)).toBe('25.0 GB');
  expect(formatBytes(Number.NaN)).toBe('–');
});

test('formatCount', () => {
  expect(formatCount(42)).toBe('42');
  expect(formatCount(1_234)).toBe('1.23K');
  expect(formatCount(8_798_208)).toBe('8.80M');
  expect(formatCount(494_032_768)).toBe('494M');
  expect(formatCount(1_500_000_000)).toBe('1.50B');
});
