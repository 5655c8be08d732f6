/**
 * What the board shows before training: how many rows are usable, how long the examples are against
 * cutoff_len, and the first examples split into the text the model reads and the text it learns to write.
 */
import type { ChatTokenizer } from '../formats/tokenizer';
import type { DatasetPreview, PreviewSegment } from '../../protocol/dataset-preview';
import type { LoadedDataset } from './load-dataset';
import { IGNORE_INDEX } from '../ignore-index';
import { supervisedTargets, tokenizeConversation, type TokenizedExample } from './tokenize';

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
    textCut: tokenized.filter((e) => e.textCut).length,
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
