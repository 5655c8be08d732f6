/**
 * Where TuneBoard may write: never into the kernel's special filesystems (a write to /proc or /sys is not a file,
 * and can hang), and an error that names the config key or flag when a folder cannot be made.
 */
import { existsSync, realpathSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import { UserError, fileSystemError } from './errors';

const SPECIAL_ROOTS = process.platform === 'win32' ? [] : ['/proc', '/sys', '/dev'];

/** The path as the filesystem sees it: symbolic links resolved in the part that exists. */
export function realPath(path: string): string {
  const absolute = resolve(path);
  if (existsSync(absolute)) return realpathSync(absolute);
  const parent = dirname(absolute);
  return parent === absolute ? absolute : resolve(realPath(parent), absolute.slice(parent.length + 1));
}

/** Whether `inner` is `outer` or lies inside it (both real paths). */
export const isWithin = (inner: string, outer: string): boolean => inner === outer || inner.startsWith(outer.endsWith(sep) ? outer : outer + sep);

export function refuseSpecialFolder(path: string, key: string): void {
  const real = realPath(path);
  const root = SPECIAL_ROOTS.find((r) => isWithin(real, r));
  if (root) throw new UserError(`${key}: ${path} is inside ${root}, a system folder, not a place for files`, 'Choose a folder in your home folder or on a data disk.');
}

/** Makes the folder (and its parents), or says why not, naming the key. */
export async function createOutputFolder(path: string, key: string): Promise<void> {
  refuseSpecialFolder(path, key);
  try {
    await mkdir(path, { recursive: true });
  } catch (err) {
    throw fileSystemError(err, key, path) ?? err;
  }
}
