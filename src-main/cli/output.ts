import type { BackendReport } from '../protocol/engine-types';

/** Results go to stdout (JSON with --json); everything else (progress, backend, warnings) to stderr. */
export function printResult(json: boolean, result: object, human: () => string): void {
  process.stdout.write(json ? JSON.stringify(result) + '\n' : human() + '\n');
}

export function reportBackend(backend: BackendReport): void {
  for (const s of backend.skipped) process.stderr.write(`backend ${s.name} skipped: ${s.reason}\n`);
  process.stderr.write(`backend: ${backend.name} · ${backend.device}\n`);
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v.toFixed(u === 0 ? 0 : 1)} ${units[u]}`;
}

export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} K`;
  return String(n);
}
