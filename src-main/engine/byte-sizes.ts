/** Sizes as people write them: a memory limit, a shard size. */
import { BYTE_UNITS } from '../protocol/quantities';
import { UserError } from './errors';

/** "2GB", "500MB", "1.5GiB", "800KB" or a byte count; transformers' units (GB = 10^9, GiB = 2^30). */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)?\s*$/i.exec(text);
  if (!m) throw new UserError(`"${text}" is not a size`, 'Write it like 2GB, 500MB or 1GiB.');
  const bytes = Math.floor(Number(m[1]) * BYTE_UNITS[(m[2] ?? 'B').toUpperCase()]!);
  if (bytes < 1) throw new UserError(`the size "${text}" must be at least 1 byte`);
  return bytes;
}
