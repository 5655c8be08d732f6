/**
 * Character BLEU-4 as LLaMA-Factory scores a prediction: nltk 3.8
 * `sentence_bleu([list(label)], list(pred), smoothing_function=SmoothingFunction().method3)` (uniform 4-gram weights).
 * method3 (NIST geometric smoothing) replaces the k-th zero precision with 1 / (2^k * denominator). As in nltk, no
 * matching character at all scores 0, and an empty prediction scores 0 through its brevity penalty.
 */

export function characterBleu4(prediction: string, label: string): number {
  const hyp = Array.from(prediction); // code points, as Python's list(str)
  const ref = Array.from(label);
  const precisions: { matches: number; total: number }[] = [];
  for (let n = 1; n <= 4; n++) precisions.push(modifiedPrecision(hyp, ref, n));
  if (precisions[0]!.matches === 0) return 0;

  let zeros = 0;
  let logSum = 0;
  for (const { matches, total } of precisions) {
    const p = matches === 0 ? 1 / (2 ** ++zeros * total) : matches / total;
    logSum += 0.25 * Math.log(p);
  }
  return brevityPenalty(ref.length, hyp.length) * Math.exp(logSum);
}

/** Clipped n-gram matches over the prediction's n-grams (at least 1, as nltk, so short texts give 0/1). */
function modifiedPrecision(hyp: readonly string[], ref: readonly string[], n: number): { matches: number; total: number } {
  const hypCounts = ngramCounts(hyp, n);
  const refCounts = ngramCounts(ref, n);
  let matches = 0;
  let total = 0;
  for (const [gram, count] of hypCounts) {
    matches += Math.min(count, refCounts.get(gram) ?? 0);
    total += count;
  }
  return { matches, total: Math.max(1, total) };
}

/** Keyed by the characters joined: n code points in a row read back only one way. */
function ngramCounts(chars: readonly string[], n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= chars.length; i++) {
    const gram = chars.slice(i, i + n).join('');
    counts.set(gram, (counts.get(gram) ?? 0) + 1);
  }
  return counts;
}

function brevityPenalty(refLength: number, hypLength: number): number {
  if (hypLength > refLength) return 1;
  if (hypLength === 0) return 0;
  return Math.exp(1 - refLength / hypLength);
}
