/**
 * ROUGE-1, ROUGE-2 and ROUGE-L F as rouge_chinese 1.0.3 computes them (`Rouge().get_scores(hyp, ref)[0][m]['f']`)
 * for texts whose words are separated by spaces. Its rules, kept here because they move the numbers:
 * - each text is cut into sentences after 。！？? (and "......", "……"), unless a closing quote follows; a sentence's
 *   words are its whitespace-split words, and a sentence of whitespace alone still counts one empty word;
 * - ROUGE-N counts distinct n-grams (sets, `exclusive=True`), running across sentence ends;
 * - ROUGE-L is the longest common subsequence of the two texts' whole word lists, not a per-sentence union;
 * - F is 2PR / (P + R + 1e-8).
 */
import { pythonRstrip, pythonSplit } from './python-whitespace';

export interface RougeF {
  readonly rouge1: number;
  readonly rouge2: number;
  readonly rougeL: number;
}

export function rougeF(hypothesis: string, reference: string): RougeF {
  const hyp = sentenceWords(hypothesis);
  const ref = sentenceWords(reference);
  // rouge_chinese raises ValueError here; LLaMA-Factory never calls it so (it scores 0 when a side has no word).
  if (hyp.length === 0 || ref.length === 0) throw new RangeError('ROUGE needs at least one sentence on each side');
  return { rouge1: rougeNF(hyp, ref, 1), rouge2: rougeNF(hyp, ref, 2), rougeL: rougeLF(hyp, ref) };
}

/** `cut_sent`, then `[" ".join(s.split()) for s in sentences if len(s) > 0]` split on " " and flattened. */
function sentenceWords(text: string): string[] {
  const marked = text
    .replace(/([。！？?])([^”’])/gu, '$1\n$2')
    .replace(/(\.{6})([^”’])/gu, '$1\n$2')
    .replace(/(…{2})([^”’])/gu, '$1\n$2')
    .replace(/([。！？?][”’])([^，。！？?])/gu, '$1\n$2');
  return pythonRstrip(marked)
    .split('\n')
    .filter((sentence) => sentence.length > 0)
    .flatMap((sentence) => pythonSplit(sentence).join(' ').split(' '));
}

/** Words hold no space, so joining n of them with one is a faithful key for the n-gram. */
function distinctNgrams(words: readonly string[], n: number): Set<string> {
  const grams = new Set<string>();
  for (let i = 0; i + n <= words.length; i++) grams.add(words.slice(i, i + n).join(' '));
  return grams;
}

function rougeNF(hyp: readonly string[], ref: readonly string[], n: number): number {
  const hypGrams = distinctNgrams(hyp, n);
  const refGrams = distinctNgrams(ref, n);
  let overlap = 0;
  for (const g of hypGrams) if (refGrams.has(g)) overlap++;
  const precision = hypGrams.size === 0 ? 0 : overlap / hypGrams.size;
  const recall = refGrams.size === 0 ? 0 : overlap / refGrams.size;
  return fScore(precision, recall);
}

function rougeLF(hyp: readonly string[], ref: readonly string[]): number {
  const lcs = lcsLength(ref, hyp);
  return fScore(lcs / hyp.length, lcs / ref.length);
}

/** The F rouge_chinese reports, epsilon included, in its order of operations. */
function fScore(precision: number, recall: number): number {
  return 2.0 * ((precision * recall) / (precision + recall + 1e-8));
}

function lcsLength(a: readonly string[], b: readonly string[]): number {
  let previous = new Int32Array(b.length + 1);
  let current = new Int32Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      current[j] = a[i - 1] === b[j - 1] ? previous[j - 1]! + 1 : Math.max(previous[j]!, current[j - 1]!);
    }
    [previous, current] = [current, previous];
  }
  return previous[b.length]!;
}
