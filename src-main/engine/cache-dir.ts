/**
 * Where the engine keeps what it measured and may reuse (GEMM plans tuned for a GPU): TUNEBOARD_CACHE_DIR, else
 * the per-user cache folder of the OS, shared by the board and the command line.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export function cacheDir(): string {
  const custom = process.env['TUNEBOARD_CACHE_DIR'];
  if (custom) return custom;
  if (process.platform === 'win32') return join(process.env['LOCALAPPDATA'] || join(homedir(), 'AppData', 'Local'), 'TuneBoard', 'Cache');
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Caches', 'TuneBoard');
  return join(process.env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'tuneboard');
}
