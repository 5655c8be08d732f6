/** SQuAD's token F1: the harmonic mean of word precision and recall, each word counted as often as both sides have it. */

/** In [0, 1]; 1 when both sides are empty, 0 when only one is. */
export function tokenF1(predicted: readonly string[], reference: readonly string[]): number {
  if (predicted.length === 0 && reference.length === 0) return 1;
  if (predicted.length === 0 || reference.length === 0) return 0;
  const available = new Map<string, number>();
  for (const w of reference) available.set(w, (available.get(w) ?? 0) + 1);
  let common = 0;
  for (const w of predicted) {
    const left = available.get(w) ?? 0;
    if (left > 0) {
      common++;
      available.set(w, left - 1);
    }
  }
  if (common === 0) return 0;
  const precision = common / predicted.length;
  const recall = common / reference.length;
  return (2 * precision * recall) / (precision + recall);
}
