/**
 * How close a generated text is to its reference, scored as LLaMA-Factory's predict step does
 * (train/sft/metric.py, ComputeSimilarity) plus exact match and token F1. Every value is x100, rounded to 4 places
 * with Python's round, as the reference rounds each row before averaging.
 */
import { characterBleu4 } from './bleu';
import { isBlank, pythonSplit, pythonStrip } from './python-whitespace';
import { roundLikePython } from './python-round';
import { rougeF } from './rouge';
import { tokenF1 } from './token-f1';
import { loadWordSplitter } from './word-split';

export interface GenerationScores {
  'bleu-4': number;
  'rouge-1': number;
  'rouge-2': number;
  'rouge-l': number;
  em: number;
  f1: number;
}

const percent = (fraction: number) => roundLikePython(fraction * 100, 4);

/** Async only for the first call, which loads the word splitter (jieba-wasm); later calls reuse it. */
export async function scorePrediction(predict: string, label: string): Promise<GenerationScores> {
  const splitWords = await loadWordSplitter();
  const hypothesis = splitWords(predict);
  const reference = splitWords(label);
  const [hypothesisText, referenceText] = [hypothesis.join(' '), reference.join(' ')];
  // LLaMA-Factory scores ROUGE 0 when a side has no word, rather than let rouge_chinese raise.
  const rouge =
    pythonSplit(hypothesisText).length === 0 || pythonSplit(referenceText).length === 0
      ? { rouge1: 0, rouge2: 0, rougeL: 0 }
      : rougeF(hypothesisText, referenceText);
  const f1Words = (words: readonly string[]) => words.filter((w) => !isBlank(w)).map((w) => w.toLowerCase());
  return {
    'bleu-4': percent(characterBleu4(predict, label)),
    'rouge-1': percent(rouge.rouge1),
    'rouge-2': percent(rouge.rouge2),
    'rouge-l': percent(rouge.rougeL),
    em: pythonStrip(predict) === pythonStrip(label) ? 100 : 0,
    f1: percent(tokenF1(f1Words(hypothesis), f1Words(reference))),
  };
}

/** Each metric's plain mean over the rows, unrounded, as LLaMA-Factory writes predict_bleu-4, predict_rouge-1, ... */
export function meanScores(rows: readonly GenerationScores[]): GenerationScores {
  if (rows.length === 0) throw new RangeError('no scored rows to average');
  const mean = (metric: keyof GenerationScores) => rows.reduce((sum, row) => sum + row[metric], 0) / rows.length;
  return {
    'bleu-4': mean('bleu-4'),
    'rouge-1': mean('rouge-1'),
    'rouge-2': mean('rouge-2'),
    'rouge-l': mean('rouge-l'),
    em: mean('em'),
    f1: mean('f1'),
  };
}
