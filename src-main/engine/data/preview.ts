/**
 * What the board shows before training: how many rows are usable, how long the examples are against
 * cutoff_len, and the first examples split into the text the model reads and the text it learns to write.
 */
import type { ChatTokenizer } from '../formats/tokenizer';
import type { BadRow, DatasetFormat } from './conversation';
import type { LoadedDataset } from './load-dataset';
import { IGNORE_INDEX, supervisedTargets, tokenizeConversation, type TokenizedExample } from './tokenize';

export interface PreviewSegment {
  readonly text: string;
  /** True for answer tokens (labels equal to the input ids), false for the prompt and template around them. */
  readonly trained: boolean;
}

export interface DatasetPreview {
  readonly file: string;
  readonly format: DatasetFormat;
  readonly totalRows: number;
  readonly usableRows: number;
  /** All of them (the UI shows the first few). */
  readonly badRows: readonly BadRow[];
  /** Token counts before truncation. Median and p95 interpolate linearly between ranks, as numpy's percentile. */
  readonly tokens: { readonly min: number; readonly median: number; readonly p95: number; readonly max: number; readonly mean: number };
  /** Examples longer than cutoffLen. */
  readonly truncated: number;
  /** Examples with no supervised target left after truncation: they cost time and teach nothing. */
  readonly noTrainedTokens: number;
  /** The first few examples, truncated, decoded with special tokens kept. */
  readonly examples: ReadonlyArray<{ readonly row: number; readonly segments: readonly PreviewSegment[] }>;
}

const PREVIEW_EXAMPLES = 3;

export function previewDataset(tokenizer: ChatTokenizer, dataset: LoadedDataset, cutoffLen: number): DatasetPreview {
  const tokenized = dataset.conversations.map((c) => tokenizeConversation(tokenizer, c, cutoffLen));
  const lengths = tokenized.map((e) => e.fullLength).sort((a, b) => a - b);
  return {
    file: dataset.file,
    format: dataset.format,
    totalRows: dataset.totalRows,
    usableRows: dataset.conversations.length,
    badRows: dataset.badRows,
    tokens: {
      min: lengths[0] ?? 0,
      median: percentile(lengths, 0.5),
      p95: percentile(lengths, 0.95),
      max: lengths.at(-1) ?? 0,
      mean: lengths.length ? lengths.reduce((s, n) => s + n, 0) / lengths.length : 0,
    },
    truncated: tokenized.filter((e) => e.fullLength > cutoffLen).length,
    noTrainedTokens: tokenized.filter((e) => supervisedTargets(e.labels) === 0).length,
    examples: tokenized.slice(0, PREVIEW_EXAMPLES).map((e) => ({ row: e.row, segments: segments(tokenizer, e) })),
  };
}

/** Consecutive runs of trained / untrained tokens, each decoded on its own. */
export function segments(tokenizer: ChatTokenizer, example: TokenizedExample): PreviewSegment[] {
  const out: PreviewSegment[] = [];
  let start = 0;
  for (let t = 1; t <= example.inputIds.length; t++) {
    const trained = example.labels[start] !== IGNORE_INDEX;
    if (t < example.inputIds.length && (example.labels[t] !== IGNORE_INDEX) === trained) continue;
    out.push({ text: tokenizer.decode(example.inputIds.slice(start, t), false), trained });
    start = t;
  }
  return out;
}

/** `sorted` ascending; linear interpolation between the two nearest ranks. */
function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}
