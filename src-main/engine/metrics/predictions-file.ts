/**
 * A predictions file as LLaMA-Factory's predict step writes it (generated_predictions.jsonl): one JSON object per
 * line with the string keys "prompt", "predict" and "label". Any line that cannot be scored stops the read, because a
 * mean over the rest would silently describe a different set of examples.
 */
import { stat } from 'node:fs/promises';
import { UserError } from '../errors';
import { readTextFile } from '../text-files';

export interface PredictionRow {
  /** 1-based line in the file. */
  readonly line: number;
  /** The prompt, when the line has one as a string. */
  readonly prompt?: string;
  readonly predict: string;
  readonly label: string;
}

const HINT = 'Each line must be one JSON object with string "predict" and "label" keys, as in the generated_predictions.jsonl LLaMA-Factory writes.';

export async function readPredictionsFile(path: string): Promise<PredictionRow[]> {
  const info = await stat(path).catch(() => null);
  if (!info) throw new UserError(`predictions file ${path} does not exist`);
  if (!info.isFile()) throw new UserError(`${path} is not a file`, 'Give the path of a .jsonl predictions file.');
  const text = await readTextFile(path);
  const rows: PredictionRow[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim()) rows.push(parseLine(path, i + 1, line));
  });
  if (rows.length === 0) throw new UserError(`${path} holds no predictions`, HINT);
  return rows;
}

function parseLine(path: string, line: number, text: string): PredictionRow {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${path}: line ${line}: not valid JSON (${(err as Error).message})`, HINT);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UserError(`${path}: line ${line}: expected a JSON object, found ${describe(value)}`, HINT);
  }
  const record = value as Record<string, unknown>;
  for (const key of ['predict', 'label']) {
    if (!(key in record)) throw new UserError(`${path}: line ${line}: no "${key}" key`, HINT);
    if (typeof record[key] !== 'string') throw new UserError(`${path}: line ${line}: "${key}" is ${describe(record[key])}, not a string`, HINT);
  }
  const { prompt, predict, label } = record as { prompt?: unknown; predict: string; label: string };
  return typeof prompt === 'string' ? { line, prompt, predict, label } : { line, predict, label };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
