/**
 * The board's own file browser (serve mode has no native dialogs): one folder's entries, folders first,
 * with hints for what the board can use: a model folder (config.json and .safetensors weights), a dataset
 * registry (dataset_info.json), a dataset file (a .json / .jsonl whose first example the engine can read,
 * dataset-file-hint.ts). Hidden (dot) entries are left out.
 */
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { UserError } from '../engine/errors';
import type { CommandResults, FsEntry } from '../protocol/board-api';
import { looksLikeDatasetFile } from './dataset-file-hint';

export type FolderListing = CommandResults['fs:list'];

export async function listFolder(dir: string | null | undefined, defaultDir: string): Promise<FolderListing> {
  const folder = resolve(defaultDir, dir ?? '.');
  const info = await stat(folder).catch(() => null);
  if (!info) throw new UserError(`${folder} does not exist`);
  if (!info.isDirectory()) throw new UserError(`${folder} is not a folder`);
  let names: string[];
  try {
    names = await readdir(folder);
  } catch {
    throw new UserError(`${folder} cannot be read (permission denied)`);
  }
  const entries = await Promise.all(names.filter((n) => !n.startsWith('.')).map((name) => entry(folder, name)));
  const listed = entries.filter((e): e is FsEntry => e !== null);
  listed.sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name, undefined, { numeric: true, sensitivity: 'base' }) : a.kind === 'folder' ? -1 : 1));
  const parent = dirname(folder);
  return { dir: folder, parent: parent === folder ? null : parent, entries: listed };
}

async function entry(folder: string, name: string): Promise<FsEntry | null> {
  const path = join(folder, name);
  // stat follows links, so a linked model folder is a folder; a broken link or an unreadable entry is skipped.
  const info = await stat(path).catch(() => null);
  if (!info) return null;
  if (info.isDirectory()) return { name, path, kind: 'folder', hint: await folderHint(path) };
  if (!info.isFile()) return null;
  return { name, path, kind: 'file', hint: (await looksLikeDatasetFile(path)) ? 'dataset-file' : null };
}

async function folderHint(path: string): Promise<FsEntry['hint']> {
  if (existsSync(join(path, 'dataset_info.json'))) return 'dataset-registry';
  if (!existsSync(join(path, 'config.json'))) return null;
  const names = await readdir(path).catch(() => [] as string[]);
  return names.some((n) => n.endsWith('.safetensors')) ? 'model' : null;
}
