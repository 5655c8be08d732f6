/**
 * Nothing half-written ever carries a final name: files and folders are written under a temporary
 * name beside their destination and renamed once complete (a rename within one folder is atomic).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { UserError } from './errors';

export function temporaryNameFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.partial-${process.pid}-${randomBytes(3).toString('hex')}`);
}

export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = temporaryNameFor(path);
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * Runs `fill` on a fresh temporary folder beside `dir`, then renames it to `dir`.
 * If `fill` throws (or the process dies) `dir` is untouched; an existing `dir` is replaced only with `overwrite`.
 */
export async function writeFolderAtomic<T>(dir: string, fill: (tmpDir: string) => Promise<T>, options: { overwrite?: boolean } = {}): Promise<T> {
  if (existsSync(dir) && !options.overwrite) {
    throw new UserError(`${dir} already exists`, 'Choose another output folder, or allow overwriting it (--overwrite on the command line).');
  }
  await mkdir(dirname(dir), { recursive: true });
  await removeAbandoned(dir);
  const tmp = temporaryNameFor(dir);
  await mkdir(tmp);
  try {
    const result = await fill(tmp);
    if (existsSync(dir)) {
      const old = temporaryNameFor(dir);
      await rename(dir, old);
      await rename(tmp, dir);
      await rm(old, { recursive: true, force: true });
    } else {
      await rename(tmp, dir);
    }
    return result;
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** Temporary folders for `path` left by a process that died (killed, crashed, power lost) before renaming them. */
async function removeAbandoned(path: string): Promise<void> {
  const prefix = `.${basename(path)}.partial-`;
  for (const name of await readdir(dirname(path))) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    if (pid === process.pid || isRunning(pid)) continue;
    await rm(join(dirname(path), name), { recursive: true, force: true });
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
