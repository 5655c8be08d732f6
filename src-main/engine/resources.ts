import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder of the embedded demo model and sample datasets: `resources/` of the project (two levels above
 * both src-main/engine/ and the bundle in out/engine/), or Electron's resources folder in a packaged app.
 */
export function resourcesDir(): string {
  const packaged = (process as { resourcesPath?: string }).resourcesPath;
  if (packaged && existsSync(join(packaged, 'demo-model'))) return packaged;
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../resources');
}

/** The embedded demo model and sample dataset inside a resources folder (the project's, or a packaged app's). */
export function demoPaths(dir: string = resourcesDir()): { demoModel: string; demoDataset: string } {
  return { demoModel: join(dir, 'demo-model'), demoDataset: join(dir, 'datasets', 'sample_alpaca.json') };
}
