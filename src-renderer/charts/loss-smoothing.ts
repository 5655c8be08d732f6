/**
 * The smoothed training loss, as LlamaBoard draws it: an exponential moving average whose weight grows
 * with the number of points (a sigmoid), so short runs stay close to the raw values.
 */
export function smoothLoss(values: readonly number[]): number[] {
  if (values.length === 0) return [];
  const weight = 1.8 * (1 / (1 + Math.exp(-0.05 * values.length)) - 0.5);
  let last = values[0]!;
  return values.map((v) => (last = last * weight + (1 - weight) * v));
}
