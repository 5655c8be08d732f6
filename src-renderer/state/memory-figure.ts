/**
 * A device's memory as the user types it: a number of GB ("24", "7.5"), or a size with its unit ("500 MB",
 * "16 GiB", "20.0 MB" as the board writes sizes). Decimal units, as formatBytes and nvidia-smi's GB are.
 */
const FACTORS: Readonly<Record<string, number>> = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, KIB: 2 ** 10, MIB: 2 ** 20, GIB: 2 ** 30, TIB: 2 ** 40 };

/** Bytes; null when the text is not a size from a megabyte to a petabyte (what run:plan takes). */
export function parseMemoryFigure(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*([KMGT]I?B|B)?\s*$/i.exec(text);
  if (!m) return null;
  const bytes = Math.round(Number(m[1]) * FACTORS[(m[2] ?? 'GB').toUpperCase()]!);
  // Less than a megabyte is a slip (a figure meant in GB, typed as bytes): no model trains in it.
  return bytes >= 1e6 && bytes <= 2 ** 50 ? bytes : null;
}
