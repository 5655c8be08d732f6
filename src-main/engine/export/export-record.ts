/** export.json: what an export wrote, beside it, so the folder says where it came from (and that TuneBoard made it). */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExportResult } from '../../protocol/engine-types';
import { versions } from '../version';

export const EXPORT_FILE = 'export.json';

export async function writeExportRecord(dir: string, result: ExportResult): Promise<void> {
  await writeFile(join(dir, EXPORT_FILE), JSON.stringify({ ...result, created_at: new Date().toISOString(), versions: versions() }, null, 2) + '\n');
}
