/** Sizes as people write them: a memory limit, a shard size. */
import { UserError } from './errors';

/** "2GB", "500MB", "1.5GiB", "800KB" or a byte count; transformers' units (GB = 10^9, GiB = 2^30). */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)?\s*$/i.exec(text);
  if (!m) throw new UserError(`"${text}" is not a size`, 'Write it like 2GB, 500MB or 1GiB.');
  const unit = (m[2] ?? 'B').toUpperCase();
  const factor: Record<string, number> = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, KIB: 2 ** 10, MIB: 2 ** 20, GIB: 2 ** 30, TIB: 2 ** 40 };
  const bytes = Math.floor(Number(m[1]) * factor[unit]!);
  if (bytes < 1) throw new UserError(`the size "${text}" must be at least 1 byte`);
  return bytes;
}
