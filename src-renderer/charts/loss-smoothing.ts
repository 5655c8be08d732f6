/**
 * The smoothed training loss, as LlamaBoard draws it: an exponential moving average whose weight grows
 * with the number of points (a sigmoid), so short runs stay close to the raw values. A missing value (a NaN
 * loss: null once it crossed JSON) is a gap in the smoothed line too, and the average goes on after it from
 * the last value it had.
 */
export function smoothLoss(values: ReadonlyArray<number | null>): Array<number | null> {
  const weight = 1.8 * (1 / (1 + Math.exp(-0.05 * values.length)) - 0.5);
  let last: number | null = null;
  return values.map((v) => {
    if (v === null || !Number.isFinite(v)) return null;
    last = last === null ? v : last * weight + (1 - weight) * v;
    return last;
  });
}

