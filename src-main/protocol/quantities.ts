/**
 * How sizes and counts are written for people, the same in the `tuneboard` command and on the board: decimal
 * units (1 GB = 10^9 bytes, as Hugging Face shard sizes and nvidia-smi's GB are) and three significant digits.
 */

/** Bytes per unit of a size as people write one: decimal GB as transformers and nvidia-smi count, binary GiB. Upper case. */
export const BYTE_UNITS: Readonly<Record<string, number>> = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, KIB: 2 ** 10, MIB: 2 ** 20, GIB: 2 ** 30, TIB: 2 ** 40 };

/** 812_100_000 → "812 MB", 13_900_000_000 → "13.9 GB", 1_770_000 → "1.77 MB". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '–';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value : threeDigits(value)} ${units[unit]}`;
}

/** 494_032_768 → "494M", 8_798_208 → "8.80M", 1_234 → "1.23K". */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return '–';
  const scales: Array<[number, string]> = [
    [1e9, 'B'],
    [1e6, 'M'],
    [1e3, 'K'],
  ];
  const [scale, suffix] = scales.find(([s]) => n >= s) ?? [1, ''];
  return scale === 1 ? String(n) : `${threeDigits(n / scale)}${suffix}`;
}

/**
 * A loss (or any measured value) with `digits` decimals; "–" where there is none: a NaN, which crosses JSON as
 * null (a step with no supervised token, or a loss that blew up).
 */
export function formatLoss(value: number | null | undefined, digits = 4): string {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : '–';
}

function threeDigits(value: number): string {
  return value.toFixed(value < 10 ? 2 : value < 100 ? 1 : 0);
}

/** A duration rounded as a person says it: 1_500 → { value: 25, unit: 'minutes' }, 12_600 → { value: 3.5, unit: 'hours' }. */
export function roughDuration(seconds: number): { readonly value: number; readonly unit: 'seconds' | 'minutes' | 'hours' | 'days' } {
  if (seconds < 90) return { value: Math.max(5, Math.round(seconds / 5) * 5), unit: 'seconds' };
  if (seconds < 90 * 60) return { value: Math.round(seconds / 60), unit: 'minutes' };
  if (seconds < 36 * 3600) return { value: Math.round((seconds / 3600) * 2) / 2, unit: 'hours' };
  return { value: Math.round((seconds / 86400) * 2) / 2, unit: 'days' };
}
