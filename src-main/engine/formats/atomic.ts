/**
 * Nothing half-written ever carries a final name: files and folders are written under a temporary
 * name beside their destination and renamed once complete (a rename within one folder is atomic).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { UserError } from '../errors';

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
    throw new UserError(`${dir} already exists`, 'Choose another output folder, or pass --overwrite to replace it.');
  }
  await mkdir(dirname(dir), { recursive: true });
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
