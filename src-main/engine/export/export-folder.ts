/**
 * Where an export may write. An export replaces its folder when asked to, so it must never be pointed at what it
 * reads from or at what the user keeps there: not the base model, the adapter or a run (nor a folder inside or
 * around them), not a system folder, and an existing folder only when it is empty or an export TuneBoard wrote
 * before (it holds export.json), and only with overwrite.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UserError } from '../errors';
import { isWithin, realPath, refuseSpecialFolder } from '../output-folders';
import { RUN_FILE } from '../train/run-files';
import { EXPORT_FILE } from './export-record';

export function checkExportFolder(out: string, sources: { readonly model: string; readonly adapter: string }, overwrite: boolean): void {
  refuseSpecialFolder(out, '--out');
  const target = realPath(out);
  for (const [what, path] of [['base model', sources.model], ['adapter', sources.adapter]] as const) {
    const source = realPath(path);
    if (isWithin(target, source) || isWithin(source, target)) {
      const relation = target === source ? 'is' : isWithin(target, source) ? 'lies inside' : 'contains';
      throw new UserError(`--out ${out} ${relation} the ${what} folder ${path}: the export would replace what it reads`, 'Choose a new folder for the export, outside the model and the adapter.');
    }
  }
  const run = enclosingRun(target);
  if (run) throw new UserError(`--out ${out} lies inside the training run ${run}`, 'Choose a new folder for the export, outside the run folders.');
  if (!existsSync(out)) return;
  if (!statSync(out).isDirectory()) throw new UserError(`--out ${out} is a file`, 'Choose a folder for the export.');
  const entries = readdirSync(out);
  if (entries.length === 0) return;
  if (!entries.includes(EXPORT_FILE)) {
    throw new UserError(`--out ${out} already holds files that TuneBoard did not export (it has no ${EXPORT_FILE}); they are left as they are`, 'Choose a new or empty folder for the export.');
  }
  if (!overwrite) throw new UserError(`${out} already exists (an earlier export)`, 'Choose another folder, or replace it: --overwrite on the command line, "Replace the folder" on the Export tab.');
}

/** The run folder (one with run.json) that `path` is or lies in, if any. */
function enclosingRun(path: string): string | null {
  for (let dir = path; ; dir = dirname(dir)) {
    if (existsSync(join(dir, RUN_FILE))) return dir;
    if (dirname(dir) === dir) return null;
  }
}
