import type { BackendReport } from '../protocol/engine-types';

/** Results go to stdout (JSON with --json); everything else (progress, backend, warnings) to stderr. */
export function printResult(json: boolean, result: object, human: () => string): void {
  process.stdout.write(json ? JSON.stringify(result) + '\n' : human() + '\n');
}

export function reportBackend(backend: BackendReport): void {
  for (const s of backend.skipped) process.stderr.write(`backend ${s.name} skipped: ${s.reason}\n`);
  process.stderr.write(`backend: ${backend.name} · ${backend.device}\n`);
}
