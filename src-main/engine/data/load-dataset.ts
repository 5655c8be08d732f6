/**
 * A dataset read into conversations. Rows that cannot be trained on are reported and skipped rather than
 * failing the run; only a dataset with no usable row at all is refused.
 */
import { UserError } from '../errors';
import { readDatasetFile } from './dataset-file';
import { registryDataset } from './dataset-info';
import type { DatasetSource } from './dataset-source';
import { detectLayout, formatOf, toMessages, type BadRow, type Conversation, type DatasetFormat, type RowLayout } from './conversation';

export interface LoadedDataset {
  readonly file: string;
  readonly format: DatasetFormat;
  readonly totalRows: number;
  readonly conversations: readonly Conversation[];
  /** In row order. */
  readonly badRows: readonly BadRow[];
}

/** How many bad rows an error lists before "and N more". */
const LISTED_BAD_ROWS = 5;

export async function loadDataset(source: DatasetSource): Promise<LoadedDataset> {
  let given: RowLayout | null = null;
  let file: string;
  if (source.kind === 'registry') {
    const entry = registryDataset(source.dir, source.name);
    file = entry.file;
    given = entry.layout;
  } else {
    file = source.path;
  }
  const contents = await readDatasetFile(file);
  if (contents.totalRows === 0) throw new UserError(`${file} has no examples`);

  const layout = given ?? detectLayout(contents.rows.map((r) => r.value));
  if (!layout) {
    if (contents.rows.length === 0) throw noUsableRow(file, contents.totalRows, contents.badRows);
    throw new UserError(
      `${file}: cannot tell the dataset format from its rows`,
      'Rows need "instruction" / "input" / "output" (alpaca), "conversations": [{"from", "value"}] (ShareGPT) or "messages": [{"role", "content"}] (OpenAI).',
    );
  }

  const conversations: Conversation[] = [];
  const badRows: BadRow[] = [...contents.badRows];
  for (const { row, value } of contents.rows) {
    const result = toMessages(value, layout);
    if (result.ok) conversations.push({ row, messages: result.messages });
    else badRows.push({ row, message: `${contents.rowLabel} ${row}: ${result.problem}` });
  }
  badRows.sort((a, b) => a.row - b.row);
  if (conversations.length === 0) throw noUsableRow(file, contents.totalRows, badRows);
  return { file, format: formatOf(layout), totalRows: contents.totalRows, conversations, badRows };
}

/** The first bad rows, a line each, then how many more: what an error or a warning lists. */
export function listBadRows(badRows: readonly BadRow[]): string[] {
  const listed = badRows.slice(0, LISTED_BAD_ROWS).map((b) => `  ${b.message}`);
  if (badRows.length > LISTED_BAD_ROWS) listed.push(`  ... and ${badRows.length - LISTED_BAD_ROWS} more`);
  return listed;
}

function noUsableRow(file: string, totalRows: number, badRows: readonly BadRow[]): UserError {
  return new UserError(
    [`${file}: none of its ${totalRows} rows can be trained on`, ...listBadRows(badRows)].join('\n'),
    'Each row needs a prompt and a non-empty answer, in the alpaca, ShareGPT or OpenAI messages format.',
  );
}
