/**
 * A dataset file as rows with their 1-based numbers: a JSON array (row = index + 1) or JSONL (row = line number).
 * A JSON file that does not parse is fatal (nothing in it can be trusted); a JSONL line that does not parse is a
 * bad row, because every other line still stands on its own.
 */
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { UserError } from '../errors';
import type { BadRow } from './conversation';
import { jsonErrorPosition } from '../json-error-position';
import { readTextFile } from '../text-files';

export interface DatasetRow {
  readonly row: number;
  readonly value: unknown;
}

export interface DatasetFileContents {
  readonly file: string;
  /** How a row number is shown: `row 7` in a JSON array, `line 7` in JSONL. */
  readonly rowLabel: 'row' | 'line';
  readonly totalRows: number;
  /** Rows that parsed, in file order. */
  readonly rows: readonly DatasetRow[];
  /** JSONL lines that did not parse. */
  readonly badRows: readonly BadRow[];
}

const EXTENSIONS = ['.json', '.jsonl'];

/** TuneBoard reads JSON and JSONL only; other files LLaMA-Factory accepts (CSV, Parquet) are refused by name. */
export function checkDatasetFileName(path: string): void {
  if (!EXTENSIONS.includes(extname(path).toLowerCase())) {
    throw new UserError(`${path} is not a .json or .jsonl file`, 'TuneBoard reads datasets as a JSON array of examples (.json) or one JSON object per line (.jsonl).');
  }
}

export async function readDatasetFile(path: string): Promise<DatasetFileContents> {
  checkDatasetFileName(path);
  const info = await stat(path).catch(() => null);
  if (!info) throw new UserError(`dataset file ${path} does not exist`);
  if (!info.isFile()) throw new UserError(`${path} is not a file`);
  const text = await readTextFile(path, 'dataset');
  if (extname(path).toLowerCase() === '.jsonl') return readJsonLines(path, text);

  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    // HF `datasets` (and so LLaMA-Factory) also reads JSON lines from a .json file.
    if (looksLikeJsonLines(text)) return readJsonLines(path, text);
    const { line, column, reason } = jsonErrorPosition(err as Error, text);
    throw new UserError(`${path} is not valid JSON: line ${line}, column ${column}: ${reason}`);
  }
  if (!Array.isArray(parsed)) {
    throw new UserError(`${path} must hold a JSON array of examples, not a single value`, 'Put the examples in a list ([{...}, {...}]), or write one JSON object per line in a .jsonl file.');
  }
  return { file: path, rowLabel: 'row', totalRows: parsed.length, rows: parsed.map((value, i) => ({ row: i + 1, value })), badRows: [] };
}

function readJsonLines(path: string, text: string): DatasetFileContents {
  const rows: DatasetRow[] = [];
  const badRows: BadRow[] = [];
  let totalRows = 0;
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (!line.trim()) return;
    totalRows++;
    try {
      rows.push({ row: i + 1, value: JSON.parse(line) });
    } catch (err) {
      const { column, reason } = jsonErrorPosition(err as Error, line);
      badRows.push({ row: i + 1, message: `line ${i + 1}: not valid JSON (${reason} at column ${column})` });
    }
  });
  return { file: path, rowLabel: 'line', totalRows, rows, badRows };
}

/** Several lines, the first of which is a whole JSON object by itself. */
function looksLikeJsonLines(text: string): boolean {
  const lines = text.split('\n').filter((l) => l.trim());
  if (lines.length < 2) return false;
  try {
    const first: unknown = JSON.parse(lines[0]!);
    return typeof first === 'object' && first !== null && !Array.isArray(first);
  } catch {
    return false;
  }
}
