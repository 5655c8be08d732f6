/** Choosing the next token from logits: greedy, or temperature + nucleus (top-p) sampling with a seeded generator. */

export type Sampling = { readonly kind: 'greedy' } | { readonly kind: 'sample'; readonly temperature: number; readonly topP: number; readonly seed: number };

export function argmax(logits: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
  return best;
}

/** As transformers: divide logits by the temperature, keep the smallest set of tokens whose probability reaches top_p, draw. */
export function sampleToken(logits: ArrayLike<number>, temperature: number, topP: number, random: () => number): number {
  const n = logits.length;
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, logits[i]! / temperature);
  const probs = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) total += probs[i] = Math.exp(logits[i]! / temperature - max);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => probs[b]! - probs[a]!);
  const kept: number[] = [];
  let mass = 0;
  for (const i of order) {
    kept.push(i);
    mass += probs[i]! / total;
    if (mass >= topP) break;
  }
  let r = random() * kept.reduce((s, i) => s + probs[i]!, 0);
  for (const i of kept) {
    r -= probs[i]!;
    if (r <= 0) return i;
  }
  return kept[kept.length - 1]!;
}
