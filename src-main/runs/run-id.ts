/** Run ids name their folder: `20261122-153000-demo-model`, the local start time and the model folder's name. */
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';

export function newRunId(runsDir: string, model: string, now = new Date()): string {
  const two = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}${two(now.getMonth() + 1)}${two(now.getDate())}-${two(now.getHours())}${two(now.getMinutes())}${two(now.getSeconds())}`;
  const slug =
    basename(model)
      .toLowerCase()
      .replace(/[^a-z0-9.]+/g, '-')
      .replace(/^[-.]+|[-.]+$/g, '')
      .slice(0, 40) || 'model';
  const base = `${stamp}-${slug}`;
  let id = base;
  for (let n = 2; existsSync(join(runsDir, id)); n++) id = `${base}-${n}`;
  return id;
}

/** A run id names a folder directly inside the runs folder, nothing else. */
export function isRunId(id: string): boolean {
  return /^[\w.-]+$/.test(id) && id !== '.' && id !== '..';
}
