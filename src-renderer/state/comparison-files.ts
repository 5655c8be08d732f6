/**
 * An evaluation as files to download: its metrics and its predictions as CSV (for a spreadsheet), and all of it
 * as JSON (exactly what the engine wrote to comparison.json).
 */
import type { PredictComparison } from '../../src-main/protocol/engine-types';

/** The scores, as LLaMA-Factory's predict_results.json names them, in its order, then exact match and F1. */
export const METRIC_KEYS = ['predict_bleu-4', 'predict_rouge-1', 'predict_rouge-2', 'predict_rouge-l', 'predict_em', 'predict_f1'] as const;

export function metricsCsv(c: PredictComparison): string {
  const rows = c.targets.map((t) => [t.name, t.adapter ?? '', t.samples, t.partial ? 'yes' : 'no', t.name === c.best ? 'yes' : 'no', ...METRIC_KEYS.map((k) => t.metrics?.[k] ?? ''), t.seconds]);
  return csv([['model', 'adapter', 'samples', 'partial', 'best', ...METRIC_KEYS, 'seconds'], ...rows]);
}

export function predictionsCsv(c: PredictComparison): string {
  const names = c.targets.map((t) => t.name);
  return csv([['prompt', 'label', ...names], ...c.examples.map((e) => [e.prompt, e.label, ...names.map((n) => e.predictions[n] ?? '')])]);
}

export function comparisonJson(c: PredictComparison): string {
  return JSON.stringify(c, null, 2) + '\n';
}

/** RFC 4180, with a byte order mark so that spreadsheets read the text as UTF-8 (Chinese included). */
function csv(rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  return '\uFEFF' + rows.map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}

function cell(value: string | number): string {
  if (typeof value === 'number') return String(value);
  // A text starting like a formula would run as one in a spreadsheet: a leading ' keeps it text (the JSON has it as is).
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
