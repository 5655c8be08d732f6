/**
 * A device's memory as the user types it: a number of GB ("24", "7.5"), or a size with its unit ("500 MB",
 * "16 GiB", "20.0 MB" as the board writes sizes). Decimal units, as formatBytes and nvidia-smi's GB are.
 */
import { BYTE_UNITS } from '../../src-main/protocol/quantities';

/** Bytes; null when the text is not a size from a megabyte to a petabyte (what run:plan takes). */
export function parseMemoryFigure(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*([KMGT]I?B|B)?\s*$/i.exec(text);
  if (!m) return null;
  const bytes = Math.round(Number(m[1]) * BYTE_UNITS[(m[2] ?? 'GB').toUpperCase()]!);
  // Less than a megabyte is a slip (a figure meant in GB, typed as bytes): no model trains in it.
  return bytes >= 1e6 && bytes <= 2 ** 50 ? bytes : null;
}
