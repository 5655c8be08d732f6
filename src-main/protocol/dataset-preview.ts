/** What the board shows of a dataset before training (engine/data/preview.ts computes it). */

export type DatasetFormat = 'alpaca' | 'sharegpt' | 'openai';

export interface BadRow {
  readonly row: number;
  /** Says where and what, e.g. `row 7: "output" is missing`. */
  readonly message: string;
}

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
  /** Examples with a message far longer than cutoffLen tokens, cut before tokenizing (counted in `truncated` too). */
  readonly textCut: number;
  /** Examples with no supervised target left after truncation: they cost time and teach nothing. */
  readonly noTrainedTokens: number;
  /** The first few examples, truncated, decoded with special tokens kept. */
  readonly examples: ReadonlyArray<{ readonly row: number; readonly segments: readonly PreviewSegment[] }>;
}
